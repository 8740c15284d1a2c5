package io.diffrl4j.methods.tempflow;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/** The recipe holds the TempFlow-GRPO config's settings, and its step weights are the reference's. */
class TempFlowGrpoTest {
    @Test
    void theRecipeBranchesOneStepFromASharedPrefix() {
        Method m = TempFlowGrpo.method();
        assertEquals("tempflow-grpo", m.name());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, m.sampler());
        assertTrue(sampler.window().sharesPrefix(), "the group shares its ODE trajectory up to the branch");
        assertEquals("SdeWindow[length=1, lo=0, hi=9, shared prefix]", sampler.window().toString());
        FlowGrpoObjective objective = assertInstanceOf(FlowGrpoObjective.class, m.objective());
        assertEquals(2.25, objective.noiseAwareWeight());
        assertEquals(0.004, ((KlStrength.Constant) ((ReferenceKl) m.regularizers().get(0)).strength()).beta());
        assertEquals(0.001, ((KlStrength.Constant) ((ReferenceKl) TempFlowGrpo.forReward("pickscore").regularizers().get(0))
                .strength()).beta());
        assertEquals(1e-4, assertInstanceOf(GroupRelativeAdvantage.class, m.advantages()).eps());
    }

    @Test
    void theStepWeightsOnSd35sScheduleAreTheReferences() {
        // 2.25 std_dev_t sqrt(sigma_j - sigma_j+1) on the 10-step shift-3 schedule, as computed from the
        // reference's formula in an independent reading of its code (rounded there to 2 decimals).
        double[] reference = {1.58, 1.67, 1.21, 1.00, 0.88, 0.79, 0.72, 0.63, 0.51};
        InferenceSchedule schedule = InferenceSchedule.of(10, 3.0);
        FlowGrpoSdeStep step = new FlowGrpoSdeStep();
        double mean = 0;
        for (int j = 0; j < 9; j++) {
            double w = TempFlowGrpo.WEIGHT_SCALE * step.stdDev(schedule, j) * Math.sqrt(-schedule.dt(j));
            assertEquals(reference[j], w, 0.006, "step " + j);
            mean += w / 9;
        }
        assertEquals(1.0, mean, 0.01, "the scale makes the mean weight 1");
    }
}
