package io.diffrl4j.methods.dgpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.samplers.DpmSolverStep;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/** The recipe holds the DGPO configs' settings. */
class DgpoTest {
    @Test
    void theRecipeIsTheGenevalConfig() {
        Method m = Dgpo.method();
        assertEquals("dgpo", m.name());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, m.sampler());
        assertEquals(10, sampler.schedule().steps());
        assertEquals(4.5, sampler.guidanceScale());
        assertInstanceOf(DpmSolverStep.class, sampler.odeStep());
        assertTrue(sampler.window().toString().contains("none"), "deterministic rollouts");
        DgpoObjective objective = assertInstanceOf(DgpoObjective.class, m.objective());
        assertEquals(100, objective.betaDpo());
        assertEquals(1e-2, objective.clipRange());
        assertEquals(4, objective.noiseLevels().levelsPerSample());
        assertTrue(objective.noiseLevels().toString().contains("the first 5 of 10"), objective.noiseLevels().toString());
        ReferenceKl kl = (ReferenceKl) m.regularizers().get(0);
        assertEquals(0.02, ((KlStrength.Constant) kl.strength()).beta());
        assertEquals(1.0, kl.guidance());
        assertTrue(m.snapshots().contains(Dgpo.OLD_SET), m.snapshots().toString());
        GroupRelativeAdvantage a = assertInstanceOf(GroupRelativeAdvantage.class, m.advantages());
        assertEquals(1e-4, a.eps());
    }

    @Test
    void theOtherRewardsConfigs() {
        Method pick = Dgpo.forReward("pickscore");
        DgpoObjective objective = (DgpoObjective) pick.objective();
        assertEquals(10, objective.betaDpo());
        assertEquals(5e-2, objective.clipRange());
        assertTrue(objective.noiseLevels().toString().contains("the first 7 of 10"), objective.noiseLevels().toString());
        assertEquals(1e-3, ((KlStrength.Constant) ((ReferenceKl) pick.regularizers().get(0)).strength()).beta());
        assertEquals(100, ((DgpoObjective) Dgpo.forReward("ocr").objective()).betaDpo());
    }
}
