package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gradient signal-to-noise ratio against the closed form computed from the micro-batch
 * gradients themselves, which the signal never sees one by one (it sees their running sum).
 */
class GradientSignalTest {

    private static List<NDArray> parameters(NDManager m) {
        NDArray a = m.create(new float[] {0.5f, -1f, 2f});
        NDArray b = m.create(new float[] {1f, 0.25f});
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        return List.of(a, b);
    }

    /** One micro-batch: accumulates d/dp sum(p * c) = c (a's 3 values then b's 2). */
    private static void microBatch(List<NDArray> ps, double[] c) {
        NDManager m = ps.get(0).getManager();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = ps.get(0).mul(m.create(new float[] {(float) c[0], (float) c[1], (float) c[2]})).sum()
                    .add(ps.get(1).mul(m.create(new float[] {(float) c[3], (float) c[4]})).sum());
            gc.backward(loss);
        }
    }

    /** ||gbar|| / sqrt(s^2 / K) written out from the individual gradients. */
    private static double expected(double[][] g) {
        int k = g.length;
        int d = g[0].length;
        double[] mean = new double[d];
        for (double[] row : g) {
            for (int j = 0; j < d; j++) {
                mean[j] += row[j] / k;
            }
        }
        double meanNorm2 = 0;
        for (double v : mean) {
            meanNorm2 += v * v;
        }
        double spread = 0;
        for (double[] row : g) {
            for (int j = 0; j < d; j++) {
                spread += (row[j] - mean[j]) * (row[j] - mean[j]);
            }
        }
        spread /= k - 1;
        return Math.sqrt(meanNorm2 / (spread / k));
    }

    @Test
    void ratioAndTermsMatchTheClosedForm() {
        double[][] g = {
            {0.3, -0.2, 0.5, 0.1, 0.0},
            {0.1, 0.4, 0.2, -0.3, 0.2},
            {0.5, 0.0, 0.6, 0.2, -0.1},
            {0.2, -0.1, 0.1, 0.0, 0.3},
        };
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            List<NDArray> ps = parameters(m);
            GradientSignal signal = new GradientSignal(ps, step);
            for (int k = 0; k < g.length; k++) {
                microBatch(ps, g[k]);
                signal.afterMicroBatch(16 * 2);
            }
            assertEquals(expected(g), signal.ratio(), 1e-5);
            assertEquals(128, signal.terms());
            Map<String, Double> means = new LinkedHashMap<>();
            signal.report(means);
            assertEquals(128.0, means.get("terms_per_step"), 0);
            assertEquals(expected(g), means.get("grad_snr"), 1e-5);
            // Reading the signal leaves the accumulated gradient as it was: the optimizer step comes after.
            float[] a = ps.get(0).getGradient().toFloatArray();
            assertEquals(0.3 + 0.1 + 0.5 + 0.2, a[0], 1e-6);
        }
    }

    @Test
    void noiseReadsAboutOneAndACommonDirectionDominates() {
        // Zero-mean noise: E||gbar||^2 = tr(Sigma)/K = E[s^2]/K, so the ratio is near 1.
        java.util.Random random = new java.util.Random(7);
        double[][] noise = new double[64][5];
        for (double[] row : noise) {
            for (int j = 0; j < row.length; j++) {
                row[j] = random.nextGaussian();
            }
        }
        double noisy = ratioOf(noise);
        assertEquals(expected(noise), noisy, expected(noise) * 1e-3);
        assertTrue(noisy > 0.3 && noisy < 2, "pure noise reads " + noisy);
        // gbar = 0 exactly: the gradient is all noise and the ratio is NaN by contract (zero gradient).
        assertTrue(Double.isNaN(ratioOf(new double[][] {{1, 2, 3, 4, 5}, {-1, -2, -3, -4, -5}})));
        // A common direction plus a small perturbation: the mean dominates its standard error.
        double[][] g = {{1, 1, 1, 1, 1.01}, {1, 1, 1, 1.01, 1}, {1.01, 1, 1, 1, 1}};
        double common = ratioOf(g);
        assertEquals(expected(g), common, expected(g) * 1e-3);
        assertTrue(common > 100, "ratio " + common);
    }

    /** The signal's ratio after one micro-batch per row of {@code g}. */
    private static double ratioOf(double[][] g) {
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            List<NDArray> ps = parameters(m);
            GradientSignal signal = new GradientSignal(ps, step);
            for (double[] row : g) {
                microBatch(ps, row);
                signal.afterMicroBatch(1);
            }
            return signal.ratio();
        }
    }

    @Test
    void oneMicroBatchOrIdenticalGradientsAreNotMeasurable() {
        try (NDManager m = NDManager.newBaseManager(); NDManager step = m.newSubManager()) {
            List<NDArray> ps = parameters(m);
            GradientSignal signal = new GradientSignal(ps, step);
            microBatch(ps, new double[] {1, 0, 0, 0, 0});
            signal.afterMicroBatch(8);
            assertTrue(Double.isNaN(signal.ratio()), "one micro-batch has no spread");
            microBatch(ps, new double[] {1, 0, 0, 0, 0});
            signal.afterMicroBatch(8);
            assertEquals(Double.POSITIVE_INFINITY, signal.ratio());
            Map<String, Double> means = new LinkedHashMap<>();
            signal.report(means);
            assertTrue(Double.isNaN(means.get("grad_snr")), "an infinite ratio is reported as NaN");
            assertEquals(16.0, means.get("terms_per_step"), 0);
        }
    }
}
