package io.diffrl4j.methods.crd;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The plain implicit reward on a toy where the log-ratio is known in closed form: policy and moving
 * reference are the exact velocity fields of N(m1, s^2) and N(m0, s^2) per element.
 *
 * <p>The relation tested (derived for this family, and checked numerically): at noise level t,
 *
 * <pre>
 * E_eps[rho(x0, t)] = k(t) * L(x0),   k(t) = 2 s^2 t^2 / ((1 - t)^2 s^2 + t^2)^2,
 * L(x0) = mean_dims(log N(x0; m1, s^2) - log N(x0; m0, s^2))          (the per-dimension log-ratio)
 * </pre>
 *
 * (with the likelihood weighting (1 - t) / t the integral of k over t is exactly 1, i.e. the ELBO
 * difference is the log-ratio). So the pass-averaged implicit reward over the discrete training
 * levels is unbiased for {@code kbar * L(x0)}, {@code kbar} the mean of k over the levels, and the
 * centred implicit reward scales with the centred log-ratio by the same constant.
 */
class ImplicitRewardGaussianTest {
    private static final double S = 0.8;
    private static final double M0 = 0.3;
    private static final int G = 4;
    private static final int B = 2 * G;

    static double k(double t) {
        double d = (1 - t) * (1 - t) * S * S + t * t;
        return 2 * S * S * t * t / (d * d);
    }

    /** x0 (B, dims): sample i sits at 0.45 + offset_i, offsets spread over [-1, 1]. */
    private static float[] samples(int dims) {
        SeededNoise rng = new SeededNoise(17);
        float[] x = new float[B * dims];
        for (int i = 0; i < B; i++) {
            double offset = -1 + 2.0 * i / (B - 1);
            for (int d = 0; d < dims; d++) {
                x[i * dims + d] = (float) (0.45 + offset + S * rng.nextGaussian());
            }
        }
        return x;
    }

    /** @return mean_dims of log N(x; m1, S^2) - log N(x; m0, S^2) per sample */
    private static double[] logRatio(float[] x, int dims, double m1) {
        double[] out = new double[B];
        for (int i = 0; i < B; i++) {
            for (int d = 0; d < dims; d++) {
                double v = x[i * dims + d];
                out[i] += ((v - M0) * (v - M0) - (v - m1) * (v - m1)) / (2 * S * S) / dims;
            }
        }
        return out;
    }

    private static double[] centre(double[] v) {
        double[] out = new double[v.length];
        for (int start = 0; start < v.length; start += G) {
            double mean = Arrays.stream(v, start, start + G).average().orElseThrow();
            for (int i = start; i < start + G; i++) {
                out[i] = v[i] - mean;
            }
        }
        return out;
    }

    private static MicroBatch batch(NDManager m, float[] x, int dims, float[] advantages, long seed) {
        int[] rows = new int[B];
        Arrays.setAll(rows, i -> i);
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(m.create(x, new Shape(B, dims)), List.of(), Conditioning.none(B), Conditioning.none(B), null),
                new MicroBatch.Scored(m.create(advantages), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(seed)));
    }

    @Test
    void passAveragedPlainImplicitRewardIsUnbiasedForTheScaledLogRatio() {
        int dims = 64;
        int reps = 16;
        double m1 = 0.6;
        float[] x = samples(dims);
        double[] truth = logRatio(x, dims, m1);
        try (NDManager m = NDManager.newBaseManager(); GaussianPair model = new GaussianPair(m, 0.0, S)) {
            model.set(AdapterRoles.POLICY, m1).set(AdapterRoles.OLD, M0);
            model.adapters().use(AdapterRoles.POLICY);
            CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT, MatchingLoss.MSE,
                    new DiscreteNoiseLevels(), AdapterRoles.OLD);
            double[] estimate = new double[B];
            double kSum = 0;
            int draws = 0;
            for (int r = 0; r < reps; r++) {
                try (NDManager scope = m.newSubManager()) {
                    MicroBatch mb = batch(scope, x, dims, new float[B], 100 + r);
                    for (int j = 0; j < objective.passes(mb); j++) {
                        float[] rho = objective.forward(mb, j, model).rho().toFloatArray();
                        for (int i = 0; i < B; i++) {
                            estimate[i] += rho[i];
                            kSum += k(objective.levels(mb)[i][j]) / B;
                        }
                        draws++;
                    }
                }
            }
            double kBar = kSum / draws;
            assertEquals(19 * reps, draws);
            assertEquals(1.5513, kBar, 1e-3, "mean of k over the 19 discrete levels (each sample visits each once)");
            for (int i = 0; i < B; i++) {
                estimate[i] /= draws;
                // Measured standard error of one sample's estimate: 0.0022 (numpy, same set-up).
                assertEquals(kBar * truth[i], estimate[i], 0.012, "sample " + i + " (log-ratio " + truth[i] + ")");
            }
            // The centred estimate scales with the centred log-ratio by kbar: the per-prompt constant is gone.
            double[] ec = centre(estimate);
            double[] tc = centre(truth);
            double sxy = 0;
            double sxx = 0;
            for (int i = 0; i < B; i++) {
                sxy += ec[i] * tc[i];
                sxx += tc[i] * tc[i];
            }
            assertEquals(kBar, sxy / sxx, 0.03 * kBar, "slope of centred implicit reward on centred log-ratio");
        }
    }

    /** One fixed noise level per sample. */
    private record FixedLevel(double t) implements TrainingNoiseLevels {
        @Override
        public int levelsPerSample() {
            return 1;
        }

        @Override
        public double[][] draw(int batch, SeededNoise rng) {
            double[][] out = new double[batch][1];
            for (double[] row : out) {
                row[0] = t;
            }
            return out;
        }
    }

    @Test
    void lossIsMinimisedWhereBetaTimesTheCentredImplicitRewardEqualsTheCentredReward() {
        // At level t the expected centred implicit reward is k(t) times the centred log-ratio, so
        // with rewards r~ = 0.5 + beta k(t) Lc(m*) the loss over the policy mean m1 is minimised at m*.
        int dims = 1024;
        int reps = 8;
        double t = 0.5;
        double beta = 0.5;
        double mStar = 0.6;
        float[] x = samples(dims);
        double[] target = centre(logRatio(x, dims, mStar));
        float[] advantages = new float[B];
        for (int i = 0; i < B; i++) {
            double rTilde = 0.5 + beta * k(t) * target[i];
            assertTrue(rTilde > 0 && rTilde < 1, "no clipping");
            advantages[i] = (float) (10 * (rTilde - 0.5));
        }
        double h = 0.1;
        double[] means = {mStar - h, mStar, mStar + h};
        double[] loss = new double[3];
        try (NDManager m = NDManager.newBaseManager(); GaussianPair model = new GaussianPair(m, 0.0, S)) {
            model.set(AdapterRoles.OLD, M0);
            CrdObjective objective = new CrdObjective(beta, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT, MatchingLoss.MSE,
                    new FixedLevel(t), AdapterRoles.OLD);
            for (int p = 0; p < 3; p++) {
                model.set(AdapterRoles.POLICY, means[p]);
                model.adapters().use(AdapterRoles.POLICY);
                for (int r = 0; r < reps; r++) {
                    try (NDManager scope = m.newSubManager()) {
                        // Same seeds for every m1: common random numbers, so the curve is smooth.
                        MicroBatch mb = batch(scope, x, dims, advantages, 200 + r);
                        loss[p] += objective.evaluate(mb, 0, model, new StepMetrics()).loss().getFloat() / reps;
                    }
                }
            }
        }
        assertTrue(loss[1] < loss[0] && loss[1] < loss[2], "loss over m1 " + Arrays.toString(loss));
        // The centred implicit reward is linear in m1 - m0 at a fixed level, so the loss is an exact
        // parabola in m1: its vertex is the minimiser.
        double vertex = means[1] - h * (loss[2] - loss[0]) / (2 * (loss[2] - 2 * loss[1] + loss[0]));
        assertEquals(mStar, vertex, 0.01, "minimiser of the loss over the policy mean; losses " + Arrays.toString(loss));
    }
}
