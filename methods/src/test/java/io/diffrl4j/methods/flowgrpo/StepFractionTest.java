package io.diffrl4j.methods.flowgrpo;

import static io.diffrl4j.methods.flowgrpo.ToyTraining.B;
import static io.diffrl4j.methods.flowgrpo.ToyTraining.GROUP;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * DanceGRPO's {@code timestep_fraction}: each image trains its own random {@code floor(K f)} of the
 * K recorded steps, and the loss is the mean of the clipped terms over the trained (image, step)
 * pairs, rebuilt here by hand from the step rule's log-probabilities.
 */
class StepFractionTest {
    private static final float[] ADVANTAGES = {1.5f, -0.5f, 0.25f, -2f, 0.75f, 0.4f};

    /** 6 steps, shift 1: floor(6 * 0.99) = 5 recorded; f = 0.6 trains 3 of them per image. */
    private static TrajectorySampler sampler() {
        return TrajectorySampler.builder().optSteps(6).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(FlowGrpoSdeStep.constantNoise(0.3)).build();
    }

    @Test
    void theLossIsTheMeanOverTheTrainedImageStepPairs() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = sampler();
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective(10.0).withStepFraction(0.6);   // nothing clipped
            int k = objective.passes(mb);
            assertEquals(5, k);
            int[] perRow = new int[B];
            Set<String> subsets = new HashSet<>();
            String[] subset = new String[B];
            java.util.Arrays.fill(subset, "");
            for (int j = 0; j < k; j++) {
                RecordedStep step = r.steps().get(j);
                float[] trained = objective.trainedRows(mb, j);
                float[] logpNew = sampler.stochasticStep().evaluate(step.x(),
                        model.velocity(step.x(), m.full(new Shape(B), (float) step.sigma()), Conditioning.none(B)),
                        sampler.schedule(), step.index(), step.next()).logProb().toFloatArray();
                float[] logpOld = step.logProb().toFloatArray();
                double expected = 0;
                for (int i = 0; i < B; i++) {
                    if (trained[i] == 1) {
                        perRow[i]++;
                        subset[i] += j;
                        expected += -ADVANTAGES[i] * Math.exp(logpNew[i] - logpOld[i]);
                    } else {
                        assertEquals(0f, trained[i]);
                    }
                }
                // The trainer averages the K passes: each pass carries K / (b m) times its masked sum.
                expected *= (double) k / (B * 3);
                assertEquals(expected, objective.evaluate(mb, j, model, new StepMetrics()).loss().getFloat(),
                        1e-5 * Math.max(1, Math.abs(expected)), "pass " + j);
            }
            for (int i = 0; i < B; i++) {
                assertEquals(3, perRow[i], "image " + i + " trains floor(5 * 0.6) steps");
                subsets.add(subset[i]);
            }
            assertTrue(subsets.size() > 1, "the images choose their steps independently: " + subsets);
        }
    }

    @Test
    void anImageTrainsTheSameStepsWhicheverMicroBatchHoldsIt() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = sampler();
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch whole = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            // The second group alone, drawing from the same epoch stream (seed 99, as ToyTraining's batch).
            MicroBatch part = new MicroBatch(m, new MicroBatch.Place(new int[] {3, 4, 5}, GROUP),
                    new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(3), Conditioning.none(3), sampler),
                    new MicroBatch.Scored(m.create(new float[] {-2f, 0.75f, 0.4f}), null),
                    new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(7), new SeededNoise(99)));
            FlowGrpoObjective objective = new FlowGrpoObjective().withStepFraction(0.6);
            for (int j = 0; j < 5; j++) {
                float[] all = objective.trainedRows(whole, j);
                assertArrayEquals(new float[] {all[3], all[4], all[5]}, objective.trainedRows(part, j), "pass " + j);
            }
        }
    }

    @Test
    void aFractionOfOneIsFlowGrpoAndOneThatTrainsNothingIsRefused() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = sampler();
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective plain = new FlowGrpoObjective(10.0);
            FlowGrpoObjective all = plain.withStepFraction(1.0);
            for (int j = 0; j < 5; j++) {
                assertEquals(plain.evaluate(mb, j, model, new StepMetrics()).loss().getFloat(),
                        all.evaluate(mb, j, model, new StepMetrics()).loss().getFloat(), 1e-7, "pass " + j);
            }
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> plain.withStepFraction(0.1).evaluate(mb, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("trains none of the 5"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> plain.withStepFraction(0));
            assertThrows(IllegalArgumentException.class, () -> plain.withStepFraction(1.5));
            assertEquals(0.6, plain.withStepFraction(0.6).withRatioNorm(true).withKlReward(0, null).stepFraction(),
                    "every wither keeps the fraction");
        }
    }
}
