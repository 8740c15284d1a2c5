package io.diffrl4j.regularizers;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.regularizers.crd.Crd;
import io.diffrl4j.regularizers.crd.SamplerMode;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GardoConfig;
import io.diffrl4j.regularizers.nft.DiffusionNft;
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
        assertEquals(List.of(EMA), FlowGrpo.defaults().snapshots());
        assertEquals(List.of(), FlowGrpo.defaults(FlowGrpo.Config.builder().optEma(false).build()).snapshots());
        assertEquals(List.of(OLD, EMA), DiffusionNft.defaults().snapshots());
        assertEquals(List.of(OLD), DiffusionNft.defaults(DiffusionNft.Config.builder().optEma(false).build()).snapshots());
        assertEquals(List.of(OLD, AdapterRoles.SAMPLER, EMA), Crd.defaults().snapshots());
        assertEquals(List.of(OLD, EMA),
                Crd.defaults(Crd.Config.builder().optSamplerMode(SamplerMode.MOVING_REFERENCE).build()).snapshots());
        assertEquals(List.of(EMA, AdapterRoles.REFERENCE), Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optDiversity(false)
                .build()).snapshots());
        assertEquals(List.of(OLD, AdapterRoles.REFERENCE), Gardo.onDiffusionNft(GardoConfig.forDiffusionNft()
                .optDiversity(false).build()).snapshots());
    }

    @Test
    void aStrategyOnANewSetBringsItsSet() {
        Method m = FlowGrpo.defaults();
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
