package io.diffrl4j.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.SamplerMode;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.nft.DiffusionNft;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A method's snapshot sets are derived from what its strategies read and write: each recipe gets
 * exactly the sets it listed by hand before, and a strategy added on a new set brings that set.
 */
class SnapshotsTest {
    private static final String EMA = AdapterRoles.EMA;
    private static final String OLD = AdapterRoles.OLD;

    @Test
    void eachRecipeDerivesTheSetsItUsedToList() {
        assertEquals(List.of(EMA), FlowGrpo.method().snapshots());
        assertEquals(List.of(), FlowGrpo.method().without(PolicyEma.STATE_KEY).snapshots());
        assertEquals(List.of(OLD, EMA), DiffusionNft.method().snapshots());
        assertEquals(List.of(OLD), DiffusionNft.method().without(PolicyEma.STATE_KEY).snapshots());
        assertEquals(List.of(OLD, AdapterRoles.SAMPLER, EMA), Crd.method().snapshots());
        assertEquals(List.of(OLD, EMA),
                Crd.method(SamplerMode.MOVING_REFERENCE).snapshots());
        assertEquals(List.of(EMA, AdapterRoles.REFERENCE), io.diffrl4j.methods.gardo.Gardo.on(io.diffrl4j.methods.gardo.Gardo.flowGrpoBase(), io.diffrl4j.regularizers.gardo.GatedKl.builder(), io.diffrl4j.regularizers.gardo.AdaptiveReference.flowGrpo()).snapshots());
        assertEquals(List.of(OLD, AdapterRoles.REFERENCE), io.diffrl4j.methods.gardo.Gardo.on(io.diffrl4j.methods.gardo.Gardo.diffusionNftBase(), io.diffrl4j.regularizers.gardo.GatedKl.builder().optKlOnAllWhenNoneGated(true), io.diffrl4j.regularizers.gardo.AdaptiveReference.diffusionNft()).snapshots());
    }

    @Test
    void aStrategyOnANewSetBringsItsSet() {
        Method m = FlowGrpo.method();
        List<io.diffrl4j.core.schedule.AdapterSchedule> schedules = new ArrayList<>(m.schedules());
        schedules.add(new EmaSchedule("slow", new EmaDecay(0, 0.99, 0, 0.99)));
        assertEquals(List.of(EMA, "slow"), m.withSchedules(schedules).snapshots());
        Method frozen = m.withRegularizers(List.of(new ReferenceKl("frozen", null, KlForm.CODE, KlStrength.constant(0.04))));
        assertEquals(List.of(EMA, "frozen"), frozen.snapshots());
        // the pretrained model (null) and the policy are never snapshots
        assertEquals(List.of(EMA), m.withRegularizers(List.of(new ReferenceKl(null, null, KlForm.CODE,
                KlStrength.constant(0.04)))).snapshots());
    }
}
