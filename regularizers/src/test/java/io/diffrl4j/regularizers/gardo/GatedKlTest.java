package io.diffrl4j.regularizers.gardo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The gated reduction on a hand-built prediction: the policy is a (6, 4) parameter array, the
 * reference a constant, so the KL and its gradient are known in closed form.
 */
class GatedKlTest {
    private static final int B = 6;
    private static final int D = 4;
    private static final double BETA = 0.07;
    private static final float SCALE = 0.5f;
    /** Keeps reported metrics alive after each computation's manager closes. */
    private static final NDManager OWNER = NDManager.newBaseManager();

    /** A gate with a fixed pattern, to test the reduction independently of the uncertainty. */
    private static final class FixedGate extends GatedKl {
        private final boolean[] pattern;

        FixedGate(boolean... pattern) {
            this(false, pattern);
        }

        FixedGate(boolean allWhenNone, boolean[] pattern) {
            super(new ReferenceKl("reference", null, KlForm.CODE, KlStrength.constant(BETA)),
                    GatedKl.builder().optKlOnAllWhenNoneGated(allWhenNone));
            this.pattern = pattern;
        }

        @Override
        protected boolean[] gate(double[] uncertainty, double k) {
            return pattern.clone();
        }
    }

    /** kl_i = SCALE * mean_dims((p_i - ref_i)^2) with p = param, ref = a constant. */
    private static final class HandPrediction implements Prediction {
        final NDArray policy;
        final NDArray ref;

        HandPrediction(NDArray policy, NDArray ref) {
            this.policy = policy;
            this.ref = ref;
        }

        @Override
        public NDArray policy() {
            return policy;
        }

        @Override
        public NDArray under(String adapterSet, double guidance) {
            return ref;
        }

        @Override
        public double guidance() {
            return 1.0;
        }

        @Override
        public NDArray klScale(KlForm form) {
            return policy.getManager().create(SCALE);
        }
    }

    private static float[] policyValues() {
        float[] v = new float[B * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.sin(1.3 * i + 0.2);
        }
        return v;
    }

    private static float[] refValues() {
        float[] v = new float[B * D];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) Math.cos(0.7 * i);
        }
        return v;
    }

    private static MicroBatch batch(NDManager m, int[] rows, RewardBatch rewards) {
        return new MicroBatch(m, new MicroBatch.Place(rows, 3),
                new MicroBatch.Drawn(m.zeros(new Shape(rows.length, D)), java.util.List.of(), Conditioning.none(rows.length), null, null),
                new MicroBatch.Scored(m.zeros(new Shape(rows.length)), rewards), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(1)));
    }

    private static double hostKl(float[] p, float[] r, int i) {
        double s = 0;
        for (int k = 0; k < D; k++) {
            double d = p[i * D + k] - r[i * D + k];
            s += d * d;
        }
        return SCALE * s / D;
    }

    /** Runs the regularizer's loss with gradients; returns {loss, gradient of the policy (B*D)}. */
    private static double[][] lossAndGradient(ReferenceKl kl, int[] rows, StepMetrics metrics) {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] p = policyValues();
            float[] r = refValues();
            int[] rowsUsed = rows;
            float[] pRows = new float[rows.length * D];
            float[] rRows = new float[rows.length * D];
            for (int i = 0; i < rows.length; i++) {
                System.arraycopy(p, rows[i] * D, pRows, i * D, D);
                System.arraycopy(r, rows[i] * D, rRows, i * D, D);
            }
            NDArray param = m.create(pRows, new Shape(rows.length, D));
            param.setRequiresGradient(true);
            NDArray ref = m.create(rRows, new Shape(rows.length, D));
            MicroBatch mb = batch(m, rowsUsed, RewardTables.batch());
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = kl.loss(mb, new HandPrediction(param, ref), metrics);
                loss = l.getFloat();
                gc.backward(l);
            }
            float[] g = param.getGradient().toFloatArray();
            double[] grad = new double[g.length];
            for (int i = 0; i < g.length; i++) {
                grad[i] = g[i];
            }
            return new double[][] {{loss}, grad};
        }
    }

    private static int[] allRows() {
        return new int[] {0, 1, 2, 3, 4, 5};
    }

    @Test
    void everySampleGatedEqualsThePlainKl() {
        FixedGate all = new FixedGate(true, true, true, true, true, true);
        all.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        ReferenceKl plain = new ReferenceKl("reference", null, KlForm.CODE, KlStrength.constant(BETA));
        double[][] gated = lossAndGradient(all, allRows(), new StepMetrics());
        double[][] full = lossAndGradient(plain, allRows(), new StepMetrics());
        double expected = 0;
        for (int i = 0; i < B; i++) {
            expected += BETA * hostKl(policyValues(), refValues(), i) / B;
        }
        assertEquals(expected, full[0][0], 1e-6 * expected);
        assertEquals(full[0][0], gated[0][0], 1e-6 * expected);
        for (int i = 0; i < B * D; i++) {
            assertEquals(full[1][i], gated[1][i], 1e-7, "gradient " + i);
        }
    }

    @Test
    void nothingGatedGivesZeroLossAndZeroGradient() {
        FixedGate none = new FixedGate(false, false, false, false, false, false);
        none.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        StepMetrics metrics = new StepMetrics(OWNER);
        double[][] result = lossAndGradient(none, allRows(), metrics);
        assertEquals(0.0, result[0][0], 0.0);
        for (double g : result[1]) {
            assertEquals(0.0, g, 0.0);
        }
        Map<String, Double> means = metrics.means();
        assertEquals(0.0, means.get("kl_gated"), 0.0);
        assertEquals(0.0, means.get("gate_fraction"), 0.0);
        assertTrue(means.get("kl") > 0, "the ungated KL is still reported: " + means);
    }

    @Test
    void onDiffusionNftAMicroBatchWithNothingGatedGetsThePlainKl() {
        // GARDO's NFT script: if no sample of the micro-batch is gated, kl = mean over all samples.
        // Rows 3 and 4 are ungated, so the loss is beta (kl_3 + kl_4) / 2; row 5 is gated, so the
        // micro-batch {4, 5} is reduced over row 5 alone.
        FixedGate gate = new FixedGate(true, new boolean[] {true, false, true, false, false, true});
        gate.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        assertTrue(gate.klOnAllWhenNoneGated());
        StepMetrics metrics = new StepMetrics(OWNER);
        double[][] none = lossAndGradient(gate, new int[] {3, 4}, metrics);
        double kl3 = hostKl(policyValues(), refValues(), 3);
        double kl4 = hostKl(policyValues(), refValues(), 4);
        assertEquals(BETA * (kl3 + kl4) / 2, none[0][0], 1e-6 * BETA * kl3);
        assertEquals((kl3 + kl4) / 2, metrics.means().get("kl_gated"), 1e-6 * kl3);
        double[][] some = lossAndGradient(gate, new int[] {4, 5}, new StepMetrics());
        assertEquals(BETA * hostKl(policyValues(), refValues(), 5), some[0][0], 1e-6 * BETA * kl3);
    }

    @Test
    void gradientsFlowOnlyThroughGatedSamples() {
        boolean[] pattern = {true, false, true, false, false, true};
        FixedGate gate = new FixedGate(pattern);
        gate.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        StepMetrics metrics = new StepMetrics(OWNER);
        double[][] result = lossAndGradient(gate, allRows(), metrics);
        float[] p = policyValues();
        float[] r = refValues();
        double expectedLoss = 0;
        double expectedKlGated = 0;
        for (int i = 0; i < B; i++) {
            if (pattern[i]) {
                expectedLoss += BETA * hostKl(p, r, i) / 3;
                expectedKlGated += hostKl(p, r, i) / 3;
            }
        }
        assertEquals(expectedLoss, result[0][0], 1e-6 * expectedLoss);
        for (int i = 0; i < B; i++) {
            for (int k = 0; k < D; k++) {
                double g = result[1][i * D + k];
                if (pattern[i]) {
                    // d/dp of beta * SCALE * mean_k (p - r)^2 / 3
                    double expected = BETA * SCALE * 2 * (p[i * D + k] - r[i * D + k]) / D / 3;
                    assertEquals(expected, g, 1e-6, "gated sample " + i + ", dim " + k);
                    assertTrue(g != 0, "gated sample " + i + " has a gradient");
                } else {
                    assertEquals(0.0, g, 0.0, "ungated sample " + i + ", dim " + k);
                }
            }
        }
        Map<String, Double> means = metrics.means();
        assertEquals(expectedKlGated, means.get("kl_gated"), 1e-6 * expectedKlGated);
        assertEquals(0.5, means.get("gate_fraction"), 0.0);
        assertEquals(0.1, means.get("gate_k"), 1e-12);
    }

    @Test
    void theNormaliserCountsTheMicroBatchsGatedSamples() {
        // Rows 3..5 of the epoch: only row 5 is gated, so the loss is that one sample's KL.
        FixedGate gate = new FixedGate(true, false, true, false, false, true);
        gate.onEpochScored(RewardTables.batch(), new TrainingProgress(0, 0));
        double[][] result = lossAndGradient(gate, new int[] {3, 4, 5}, new StepMetrics());
        double expected = BETA * hostKl(policyValues(), refValues(), 5);
        assertEquals(expected, result[0][0], 1e-6 * expected);
    }

    @Test
    void theGateMustBeComputedBeforeThePasses() {
        FixedGate gate = new FixedGate(true, true, true, true, true, true);
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> lossAndGradient(gate, allRows(), new StepMetrics()));
        assertTrue(e.getMessage().contains("onEpochScored"), e.getMessage());
    }
}
