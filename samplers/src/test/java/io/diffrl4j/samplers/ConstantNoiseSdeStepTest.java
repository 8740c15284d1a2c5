package io.diffrl4j.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.StepResult;
import org.junit.jupiter.api.Test;

/**
 * DanceGRPO's SDE step ({@code flux_step} with {@code sde_solver=True}) written out as its
 * reference writes it, in the score form, against {@link FlowGrpoSdeStep#constantNoise}; and a group
 * sharing its initial noise when every step is stochastic ({@code --init_same_noise}).
 */
class ConstantNoiseSdeStepTest {
    private static final double ETA = 0.3;

    @Test
    void meanStdAndLogProbFollowDanceGrposFluxStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            InferenceSchedule schedule = InferenceSchedule.of(16, 3.0);
            FlowGrpoSdeStep step = FlowGrpoSdeStep.constantNoise(ETA);
            SeededNoise rng = new SeededNoise(5);
            for (int i : new int[] {0, 7, 14}) {
                NDArray x = rng.normal(m, new Shape(2, 6));
                NDArray v = rng.normal(m, new Shape(2, 6));
                NDArray noise = rng.normal(m, new Shape(2, 6));
                StepResult r = step.sample(x, v, schedule, i, noise);
                double sigma = schedule.sigma(i);
                double dsigma = schedule.sigma(i + 1) - sigma;
                double std = ETA * Math.sqrt(-dsigma);
                assertEquals(ETA, r.stdDev(), 0);
                assertEquals(std, r.noiseStd(), 1e-12);
                float[] xs = x.toFloatArray();
                float[] vs = v.toFloatArray();
                float[] eps = noise.toFloatArray();
                float[] next = r.next().toFloatArray();
                float[] mean = r.mean().toFloatArray();
                float[] logp = r.logProb().toFloatArray();
                for (int b = 0; b < 2; b++) {
                    double expectedLogp = 0;
                    for (int k = b * 6; k < b * 6 + 6; k++) {
                        double x0 = xs[k] - sigma * vs[k];
                        double score = -(xs[k] - x0 * (1 - sigma)) / (sigma * sigma);
                        double mu = xs[k] + dsigma * vs[k] + (-0.5 * ETA * ETA * score) * dsigma;
                        assertEquals(mu, mean[k], 1e-5 * Math.max(1, Math.abs(mu)), "mean at step " + i);
                        assertEquals(mu + std * eps[k], next[k], 1e-5 * Math.max(1, Math.abs(mu)), "sample at step " + i);
                        double d = next[k] - mu;
                        expectedLogp += (-d * d / (2 * std * std) - Math.log(std) - 0.5 * Math.log(2 * Math.PI)) / 6;
                    }
                    assertEquals(expectedLogp, logp[b], 1e-4, "log-probability at step " + i);
                }
                // Re-scoring the drawn sample gives the same log-probability.
                assertArrayEquals(logp, step.evaluate(x, v, schedule, i, r.next()).logProb().toFloatArray(), 1e-5f);
            }
            assertTrue(step.isConstantNoise());
            assertTrue(step.toString().contains("constant"), step.toString());
            assertThrows(IllegalArgumentException.class, () -> FlowGrpoSdeStep.constantNoise(-0.1));
        }
    }

    @Test
    void aGroupSharesItsInitialNoiseWhenEveryStepIsStochastic() {
        try (NDManager m = NDManager.newBaseManager()) {
            int prompts = 2;
            int group = 3;
            FlowModel model = (x, sigma, c) -> FlowMatching.broadcastable(c.pooled().mean(new int[] {1}), x).sub(x);
            Conditioning cond = Conditioning.of(null, m.arange(prompts * 2f).reshape(prompts, 2));
            SdeWindow window = SdeWindow.all().withSharedPrefix();
            assertTrue(window.sharesPrefix());
            assertEquals("SdeWindow[all, shared initial noise]", window.toString());
            TrajectorySampler sampler = TrajectorySampler.builder().optSteps(5).optGuidanceScale(1.0)
                    .optStochasticStep(FlowGrpoSdeStep.constantNoise(ETA)).optWindow(window).build();
            Rollout r = sampler.sample(m, model, cond, null, group, new Shape(4), new SeededNoise(3));
            assertEquals(4, r.steps().size(), "every step but the last recorded");
            NDArray start = r.steps().get(0).x();
            assertEquals(new Shape(6, 4), start.getShape());
            for (int row = 1; row < 6; row++) {
                float[] first = start.get(new NDIndex(String.valueOf(row - row % group))).toFloatArray();
                float[] mine = start.get(new NDIndex(String.valueOf(row))).toFloatArray();
                if (row % group == 0) {
                    assertNotEquals(start.get(new NDIndex("0")).getFloat(0), mine[0], "groups start apart");
                } else {
                    assertArrayEquals(first, mine, "row " + row + " starts where its group's first image does");
                }
            }
            NDArray out = r.samples();
            assertNotEquals(out.get(new NDIndex("0")).getFloat(0), out.get(new NDIndex("1")).getFloat(0),
                    "the SDE steps tell a group's images apart");
            assertThrows(IllegalStateException.class, () -> SdeWindow.none().withSharedPrefix());
        }
    }
}
