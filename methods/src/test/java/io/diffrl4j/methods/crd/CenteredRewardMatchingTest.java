package io.diffrl4j.methods.crd;

import io.diffrl4j.core.advantage.NormalisedReward;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.SeededNoise;
import org.junit.jupiter.api.Test;

/** The arithmetic of docs/ALGORITHMS.md 7.2-7.3 on host-checkable numbers. */
class CenteredRewardMatchingTest {
    private static final int G = 4;
    private static final int B = 3 * G;

    /** The loss and its gradient with respect to {@code rho}, on the host. */
    private record LossAndGradient(double loss, float[] gradient) {}

    private static LossAndGradient lossAndGradient(NDManager m, double[] rho, double[] r, double beta, CenteringScope scope,
            MatchingLoss kind) {
        try (NDManager scope2 = m.newSubManager()) {
            NDArray x = scope2.create(toFloat(rho));
            x.setRequiresGradient(true);
            NDArray rt = scope2.create(toFloat(r));
            double loss;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray l = CenteredRewardMatching.loss(x, rt, G, beta, scope, kind);
                loss = l.getFloat();
                gc.backward(l);
            }
            return new LossAndGradient(loss, x.getGradient().toFloatArray());
        }
    }

    private static float[] toFloat(double[] v) {
        float[] out = new float[v.length];
        for (int i = 0; i < v.length; i++) {
            out[i] = (float) v[i];
        }
        return out;
    }

    private static double[] random(long seed, double lo, double hi) {
        SeededNoise rng = new SeededNoise(seed);
        double[] out = new double[B];
        for (int i = 0; i < B; i++) {
            out[i] = lo + (hi - lo) * rng.nextDouble();
        }
        return out;
    }

    /** Adds {@code c[p]} to every value of prompt p. */
    private static double[] shiftPerPrompt(double[] v, double[] c) {
        double[] out = v.clone();
        for (int i = 0; i < B; i++) {
            out[i] += c[i / G];
        }
        return out;
    }

    private static double[] centreHost(double[] v, CenteringScope scope) {
        double[] out = new double[v.length];
        int size = scope == CenteringScope.PROMPT ? G : v.length;
        for (int start = 0; start < v.length; start += size) {
            double mean = 0;
            for (int i = start; i < start + size; i++) {
                mean += v[i] / size;
            }
            for (int i = start; i < start + size; i++) {
                out[i] = v[i] - mean;
            }
        }
        return out;
    }

    /** The loss of docs/ALGORITHMS.md 7.3 in double precision, and its gradient with sg on the mean of rho. */
    private static LossAndGradient host(double[] rho, double[] r, double beta, CenteringScope scope, MatchingLoss kind) {
        double[] pc = centreHost(rho, scope);
        double[] rc = centreHost(r, scope);
        double loss = 0;
        float[] grad = new float[B];
        for (int i = 0; i < B; i++) {
            double x = beta * pc[i];
            if (kind == MatchingLoss.MSE) {
                loss += (x - rc[i]) * (x - rc[i]) / B;
                grad[i] = (float) (5 / beta * 2 * (x - rc[i]) * beta / B);
            } else {
                double y = 1 / (1 + Math.exp(-rc[i]));
                loss += (Math.max(x, 0) - x * y + Math.log1p(Math.exp(-Math.abs(x)))) / B;
                grad[i] = (float) (5 / beta * (1 / (1 + Math.exp(-x)) - y) * beta / B);
            }
        }
        return new LossAndGradient(loss * 5 / beta, grad);
    }

    @Test
    void matchesTheFormulaForBothLossesAndScopes() {
        double[] rho = random(1, -0.4, 0.4);
        double[] r = random(2, 0.05, 0.95);
        try (NDManager m = NDManager.newBaseManager()) {
            for (MatchingLoss kind : MatchingLoss.values()) {
                for (CenteringScope scope : CenteringScope.values()) {
                    for (double beta : new double[] {1.0, 0.5}) {
                        LossAndGradient got = lossAndGradient(m, rho, r, beta, scope, kind);
                        LossAndGradient want = host(rho, r, beta, scope, kind);
                        String what = kind + " " + scope + " beta " + beta;
                        assertEquals(want.loss(), got.loss(), 1e-6 * Math.max(1, want.loss()), what);
                        // sg(mean rho): every sample's gradient is its own residual, not the group-projected one.
                        assertArrayEquals(want.gradient(), got.gradient(), 1e-6f, what);
                    }
                }
            }
        }
    }

    @Test
    void atTheStartOfTrainingRhoIsZeroAndBothLossesStillHaveTheirGradient() {
        // policy = moving reference: rho = 0, so the logits sit exactly at 0 (softplus' kink-free point).
        double[] rho = new double[B];
        double[] r = random(6, 0.05, 0.95);
        try (NDManager m = NDManager.newBaseManager()) {
            for (MatchingLoss kind : MatchingLoss.values()) {
                LossAndGradient got = lossAndGradient(m, rho, r, 1.0, CenteringScope.PROMPT, kind);
                LossAndGradient want = host(rho, r, 1.0, CenteringScope.PROMPT, kind);
                assertEquals(want.loss(), got.loss(), 1e-6, kind.toString());
                assertArrayEquals(want.gradient(), got.gradient(), 1e-7f, kind.toString());
            }
        }
    }

    @Test
    void perPromptConstantsCancelInTheLossAndItsGradient() {
        double[] rho = random(3, -0.5, 0.5);
        double[] r = random(4, 0.2, 0.8);
        double[] c = {1.25, -0.75, 0.5};
        double[] d = {0.1, -0.15, 0.05};
        try (NDManager m = NDManager.newBaseManager()) {
            for (MatchingLoss kind : MatchingLoss.values()) {
                LossAndGradient base = lossAndGradient(m, rho, r, 1.0, CenteringScope.PROMPT, kind);
                LossAndGradient implicit = lossAndGradient(m, shiftPerPrompt(rho, c), r, 1.0, CenteringScope.PROMPT, kind);
                LossAndGradient external = lossAndGradient(m, rho, shiftPerPrompt(r, d), 1.0, CenteringScope.PROMPT, kind);
                assertEquals(base.loss(), implicit.loss(), 1e-6, kind + ": a per-prompt constant in rho");
                assertArrayEquals(base.gradient(), implicit.gradient(), 1e-6f, kind + ": gradient, constant in rho");
                assertEquals(base.loss(), external.loss(), 1e-6, kind + ": a per-prompt constant in r~");
                assertArrayEquals(base.gradient(), external.gradient(), 1e-6f, kind + ": gradient, constant in r~");
                assertTrue(base.loss() > 1e-3, "the test values are not already matched");

                // The author's port centres over the micro-batch: one common constant cancels there,
                // per-prompt constants (log Z(c) differs per prompt) do not.
                LossAndGradient port = lossAndGradient(m, rho, r, 1.0, CenteringScope.MICRO_BATCH, kind);
                LossAndGradient portShared = lossAndGradient(m, shiftPerPrompt(rho, new double[] {2, 2, 2}), r, 1.0,
                        CenteringScope.MICRO_BATCH, kind);
                LossAndGradient portPerPrompt = lossAndGradient(m, shiftPerPrompt(rho, c), r, 1.0,
                        CenteringScope.MICRO_BATCH, kind);
                assertEquals(port.loss(), portShared.loss(), 1e-6);
                assertArrayEquals(port.gradient(), portShared.gradient(), 1e-6f);
                assertTrue(Math.abs(portPerPrompt.loss() - port.loss()) > 0.1, kind + ": micro-batch centring keeps log Z");
            }
        }
    }

    @Test
    void theMinimumIsWhereBetaTimesTheCentredImplicitRewardEqualsTheCentredReward() {
        double[] r = random(5, 0.1, 0.9);
        double[] rc = centreHost(r, CenteringScope.PROMPT);
        double beta = 0.5;
        double[] c = {1.5, -2.0, 0.3};
        double[] matched = new double[B];
        for (int i = 0; i < B; i++) {
            matched[i] = rc[i] / beta + c[i / G];
        }
        try (NDManager m = NDManager.newBaseManager()) {
            LossAndGradient mse = lossAndGradient(m, matched, r, beta, CenteringScope.PROMPT, MatchingLoss.MSE);
            assertEquals(0, mse.loss(), 1e-10);
            LossAndGradient bce = lossAndGradient(m, matched, r, beta, CenteringScope.PROMPT, MatchingLoss.BCE);
            for (float g : mse.gradient()) {
                assertEquals(0f, g, 1e-7f);
            }
            for (float g : bce.gradient()) {
                assertEquals(0f, g, 1e-7f, "BCE's gradient sigmoid(x) - sigmoid(Rc) vanishes at x = Rc");
            }
            // Moving any sample off the match raises both losses.
            for (int i = 0; i < B; i += 5) {
                double[] off = matched.clone();
                off[i] += 0.1;
                assertTrue(lossAndGradient(m, off, r, beta, CenteringScope.PROMPT, MatchingLoss.MSE).loss() > 1e-4);
                assertTrue(lossAndGradient(m, off, r, beta, CenteringScope.PROMPT, MatchingLoss.BCE).loss() > bce.loss());
            }
        }
    }

    @Test
    void normalisedRewardIsTheClippedOptimalityProbability() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] a = {-5f, -2.5f, 0f, 1f, 5f, 7f, -8f};
            float[] want = {0f, 0.25f, 0.5f, 0.6f, 1f, 1f, 0f};
            assertArrayEquals(want, NormalisedReward.of(m.create(a)).toFloatArray(), 1e-7f);
        }
    }

    @Test
    void implicitRewardMatchesBothFormsAndIsZeroWhenThePolicyIsTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            SeededNoise rng = new SeededNoise(9);
            Shape shape = new Shape(3, 5);
            NDArray vTheta = rng.normal(m, shape);
            NDArray vOld = rng.normal(m, shape);
            NDArray u = rng.normal(m, shape);
            float[] t = vTheta.toFloatArray();
            float[] o = vOld.toFloatArray();
            float[] uu = u.toFloatArray();
            float[] plain = CenteredRewardMatching.implicitReward(vTheta, vOld, u, ImplicitRewardForm.PLAIN).toFloatArray();
            float[] adaptive = CenteredRewardMatching.implicitReward(vTheta, vOld, u, ImplicitRewardForm.ADAPTIVE).toFloatArray();
            for (int i = 0; i < 3; i++) {
                double sqT = 0;
                double sqO = 0;
                double absT = 0;
                double absO = 0;
                for (int k = 0; k < 5; k++) {
                    double et = t[i * 5 + k] - uu[i * 5 + k];
                    double eo = o[i * 5 + k] - uu[i * 5 + k];
                    sqT += et * et / 5;
                    sqO += eo * eo / 5;
                    absT += Math.abs(et) / 5;
                    absO += Math.abs(eo) / 5;
                }
                assertEquals(-(sqT - sqO), plain[i], 1e-5);
                assertEquals(-(sqT / Math.max(absT, 1e-5) - sqO / Math.max(absO, 1e-5)), adaptive[i], 1e-5);
            }
            for (ImplicitRewardForm form : ImplicitRewardForm.values()) {
                float[] zero = CenteredRewardMatching.implicitReward(vTheta, vTheta.duplicate(), u, form).toFloatArray();
                assertArrayEquals(new float[3], zero, 0f, form + ": identical errors give exactly 0");
            }
        }
    }

    @Test
    void theGradientReachesThePolicyOnlyNotTheReference() {
        try (NDManager m = NDManager.newBaseManager()) {
            SeededNoise rng = new SeededNoise(10);
            NDArray vTheta = rng.normal(m, new Shape(2, 3));
            NDArray vOld = rng.normal(m, new Shape(2, 3));
            NDArray u = rng.normal(m, new Shape(2, 3));
            vTheta.setRequiresGradient(true);
            vOld.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(CenteredRewardMatching.implicitReward(vTheta, vOld, u, ImplicitRewardForm.ADAPTIVE).sum());
            }
            assertTrue(vTheta.getGradient().abs().max().getFloat() > 0);
            assertEquals(0f, vOld.getGradient().abs().max().getFloat(), 0f);
        }
    }

    @Test
    void rejectsPartialGroupsAndBadArguments() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray five = m.zeros(new Shape(5));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> CenteredRewardMatching.loss(five, five, 2, 1.0, CenteringScope.PROMPT, MatchingLoss.MSE));
            assertTrue(e.getMessage().contains("whole groups"), e.getMessage());
            // The micro-batch scope does not need whole groups.
            assertEquals(0f, CenteredRewardMatching.loss(five, five, 2, 1.0, CenteringScope.MICRO_BATCH, MatchingLoss.MSE)
                    .getFloat(), 0f);
            assertThrows(IllegalArgumentException.class,
                    () -> CenteredRewardMatching.loss(five, five, 5, 0.0, CenteringScope.PROMPT, MatchingLoss.MSE));
            assertThrows(IllegalArgumentException.class,
                    () -> CenteredRewardMatching.loss(five, m.zeros(new Shape(4)), 1, 1.0, CenteringScope.PROMPT, MatchingLoss.MSE));
        }
    }
}
