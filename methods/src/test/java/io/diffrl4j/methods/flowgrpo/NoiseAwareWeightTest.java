package io.diffrl4j.methods.flowgrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/**
 * TempFlow-GRPO's noise-aware weight: pass {@code j}'s loss is Flow-GRPO's times
 * {@code c a sqrt(s / (1 - s)) sqrt(|dt|)}, the step's transition std worked out by hand.
 */
class NoiseAwareWeightTest {
    private static final float[] ADVANTAGES = {1.5f, -0.5f, 0.25f, -2f, 0.75f, 0.4f};

    @Test
    void eachPassIsWeightedByItsTransitionStd() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = TrajectorySampler.builder().optSteps(5).optShift(1.0).optGuidanceScale(1.0).build();
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective plain = new FlowGrpoObjective();
            FlowGrpoObjective weighted = plain.withNoiseAwareWeight(2.25);
            InferenceSchedule schedule = sampler.schedule();
            for (int j = 0; j < plain.passes(mb); j++) {
                int i = r.steps().get(j).index();
                double s = schedule.sigma(i);
                double guard = s == 1.0 ? schedule.sigma(1) : s;
                double transitionStd = 0.7 * Math.sqrt(s / (1 - guard)) * Math.sqrt(s - schedule.sigma(i + 1));
                double expected = 2.25 * transitionStd * plain.evaluate(mb, j, model, new StepMetrics()).loss().getFloat();
                assertEquals(expected, weighted.evaluate(mb, j, model, new StepMetrics()).loss().getFloat(),
                        1e-6 * Math.max(1, Math.abs(expected)), "pass " + j);
            }
            assertEquals(2.25, weighted.withRatioNorm(false).withStepFraction(1).noiseAwareWeight(), "withers keep it");
            assertThrows(IllegalArgumentException.class, () -> plain.withNoiseAwareWeight(-1));
        }
    }
}
