package io.diffrl4j.methods.awm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The recipe holds the AWM configs' settings; its second KL keeps its own name and beta. */
class AwmTest {
    private static ReferenceKl named(Method m, String name) {
        return m.regularizers().stream().filter(r -> r.name().equals(name)).map(r -> (ReferenceKl) r).findFirst()
                .orElseThrow(() -> new AssertionError("no KL named " + name + " in " + m.regularizers()));
    }

    @Test
    void theRecipeIsTheGenevalConfig() {
        Method m = Awm.method();
        assertEquals("awm", m.name());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, m.sampler());
        assertEquals(14, sampler.schedule().steps());
        assertEquals(3.0, sampler.schedule().shift());
        assertEquals(1.0, sampler.guidanceScale(), "no CFG");
        AwmObjective objective = assertInstanceOf(AwmObjective.class, m.objective());
        assertEquals(6, objective.noiseLevels().levelsPerSample());
        assertEquals("ghuber(p=0.25)", objective.weighting().toString());
        ReferenceKl kl = named(m, "kl");
        assertEquals(null, kl.reference(), "the pretrained model");
        assertEquals(1.0, kl.guidance());
        ReferenceKl ema = named(m, "kl_ema");
        assertEquals(Awm.KL_EMA_SET, ema.reference());
        assertEquals("regularizer:kl_ema", ema.stateKey());
        EmaSchedule anchor = assertInstanceOf(EmaSchedule.class, m.schedules().get(0));
        assertEquals(0.001, anchor.decay().at(1), 1e-12, "the first epoch's blend");
        assertEquals(0.3, anchor.decay().at(1000), 0.0, "capped at kl_ema_decay");
        assertTrue(m.snapshots().containsAll(List.of(Awm.KL_EMA_SET, AdapterRoles.EMA)), m.snapshots().toString());
        assertEquals(AdapterRoles.EMA, m.evaluationSet());
    }

    @Test
    void aBetaReachesOnlyTheKlToThePretrainedModel() {
        Method m = Awm.method().withKlBeta(0.05);
        assertEquals(0.05, ((io.diffrl4j.core.objective.KlStrength.Constant) named(m, "kl").strength()).beta(), 0.0);
        assertEquals(1.0, ((io.diffrl4j.core.objective.KlStrength.Constant) named(m, "kl_ema").strength()).beta(), 0.0, "ema_beta kept");
        assertEquals(3e-3, ((io.diffrl4j.core.objective.KlStrength.Constant) named(Awm.forReward("ocr"), "kl").strength()).beta(), 0.0);
        assertEquals(1e-4, ((io.diffrl4j.core.objective.KlStrength.Constant) named(Awm.forReward("pickscore"), "kl").strength()).beta(), 0.0);
    }

    @Test
    void gardosGateGoesOnTheKlToThePretrainedModel() {
        Method gated = Gardo.withGate(Awm.method(), GatedKl.builder());
        List<Regularizer> regs = gated.regularizers();
        assertEquals(2, regs.size());
        assertInstanceOf(GatedKl.class, named(gated, "kl"));
        assertEquals(ReferenceKl.class, named(gated, "kl_ema").getClass(), "the EMA KL stays ungated");
    }
}
