package io.diffrl4j.models.nn.kernel;

import static io.diffrl4j.models.nn.kernel.KernelTestSupport.gaussian;
import static io.diffrl4j.models.nn.kernel.KernelTestSupport.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;

import org.junit.jupiter.api.Test;

class NormKernelsTest {

    private static final double EPS = 1e-6;

    /** {@code 1 / sqrt(mean(x^2) + EPS)} of row {@code r} of the row-major {@code rows x d} values {@code xd}. */
    private static double inverseRms(float[] xd, int r, int d) {
        double ms = 0;
        for (int j = 0; j < d; j++) {
            ms += (double) xd[r * d + j] * xd[r * d + j];
        }
        return 1.0 / Math.sqrt(ms / d + EPS);
    }

    @Test
    void rmsNormMatchesComposedAndTheFormula() {
        int rows = 10;
        int d = 16;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xd = KernelTestSupport.gaussian(1, rows * d, 1.0);
            float[] wd = KernelTestSupport.gaussian(2, d, 0.5);
            NDArray x = m.create(xd, new Shape(2, 5, d));
            NDArray w = m.create(wd);
            NDArray fused = TorchKernels.rmsNorm(x, w, EPS);
            NDArray composed = ComposedKernels.rmsNorm(x, w, EPS);
            assertSame(m, fused.getManager());
            double err = maxAbsDiff(fused, composed);
            System.out.printf("rms norm fused vs composed fp32: max abs err = %.3e%n", err);
            assertTrue(err < 1e-6, "fused vs composed " + err);

            double[] expected = new double[rows * d];
            double[] expectedNoWeight = new double[rows * d];
            for (int r = 0; r < rows; r++) {
                double inv = inverseRms(xd, r, d);
                for (int j = 0; j < d; j++) {
                    expectedNoWeight[r * d + j] = xd[r * d + j] * inv;
                    expected[r * d + j] = xd[r * d + j] * inv * wd[j];
                }
            }
            assertTrue(maxAbsDiff(fused, expected) < 2e-6, "fused vs formula");

            NDArray plain = TorchKernels.rmsNorm(x, null, EPS);
            assertTrue(maxAbsDiff(plain, ComposedKernels.rmsNorm(x, null, EPS)) < 1e-6);
            assertTrue(maxAbsDiff(plain, expectedNoWeight) < 2e-6);
            assertTrue(maxAbsDiff(Kernels.rmsNorm(x, w, EPS), fused) == 0.0);
        }
    }

    @Test
    void rmsNormGradientsAreAnalytic() {
        int rows = 6;
        int d = 8;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xd = KernelTestSupport.gaussian(3, rows * d, 1.0);
            float[] wd = KernelTestSupport.gaussian(4, d, 1.0);
            float[] cd = KernelTestSupport.gaussian(5, rows * d, 1.0);
            NDArray x = m.create(xd, new Shape(rows, d));
            NDArray w = m.create(wd);
            w.setName("transformer_blocks.0.attn.norm_q.weight"); // a checkpoint-style name
            NDArray c = m.create(cd, new Shape(rows, d));
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(TorchKernels.rmsNorm(x, w, EPS).mul(c).sum());
            }
            double[] dw = new double[d];
            for (int r = 0; r < rows; r++) {
                double inv = inverseRms(xd, r, d);
                for (int j = 0; j < d; j++) {
                    dw[j] += cd[r * d + j] * xd[r * d + j] * inv;
                }
            }
            double errW = maxAbsDiff(w.getGradient(), dw);
            System.out.printf("rms norm d/dweight vs analytic: max abs err = %.3e%n", errW);
            assertTrue(errW < 1e-5, "dw " + errW);

            // d/dx against the composed op
            NDArray x2 = m.create(xd, new Shape(rows, d));
            NDArray w2 = m.create(wd);
            x2.setRequiresGradient(true);
            w2.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(ComposedKernels.rmsNorm(x2, w2, EPS).mul(c).sum());
            }
            assertTrue(maxAbsDiff(x.getGradient(), x2.getGradient()) < 1e-5, "dx");
            assertTrue(maxAbsDiff(w.getGradient(), w2.getGradient()) < 1e-5, "dw composed");
        }
    }

    @Test
    void rmsNormFollowsDiffusersDtypes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x32 = gaussian(m, 6, new Shape(3, 8));
            NDArray x = x32.toType(DataType.FLOAT16, false);
            NDArray w32 = gaussian(m, 7, new Shape(8));
            NDArray w16 = w32.toType(DataType.FLOAT16, false);

            NDArray a = TorchKernels.rmsNorm(x, w32, EPS); // fp16 x fp32 weight -> fp32
            NDArray b = TorchKernels.rmsNorm(x, w16, EPS); // fp16 weight -> fp16
            NDArray c = TorchKernels.rmsNorm(x, null, EPS); // no weight -> input dtype
            assertEquals(DataType.FLOAT32, a.getDataType());
            assertEquals(DataType.FLOAT16, b.getDataType());
            assertEquals(DataType.FLOAT16, c.getDataType());
            assertEquals(DataType.FLOAT32, ComposedKernels.rmsNorm(x, w32, EPS).getDataType());
            assertEquals(DataType.FLOAT16, ComposedKernels.rmsNorm(x, w16, EPS).getDataType());
            assertTrue(maxAbsDiff(a, ComposedKernels.rmsNorm(x, w32, EPS)) < 1e-6);
            assertTrue(maxAbsDiff(b, ComposedKernels.rmsNorm(x, w16, EPS)) < 1e-2);
            // the fp32 variance of the fp16 input: same as normalizing the upcast input
            assertTrue(maxAbsDiff(a, TorchKernels.rmsNorm(x.toType(DataType.FLOAT32, false), w32,
                    EPS)) < 1e-6);
        }
    }

    @Test
    void groupNormMatchesAHandComputation() {
        int n = 2;
        int ch = 4;
        int hw = 6; // 2 x 3 spatial
        int groups = 2;
        double eps = 1e-5;
        try (NDManager m = NDManager.newBaseManager()) {
            float[] xd = KernelTestSupport.gaussian(8, n * ch * hw, 2.0);
            for (int i = 0; i < xd.length; i++) {
                xd[i] += 0.5f * (i % 3); // non-zero means
            }
            float[] wd = {0.5f, -1f, 2f, 1.5f};
            float[] bd = {0.1f, 0f, -0.3f, 1f};
            NDArray x = m.create(xd, new Shape(n, ch, 2, 3));
            NDArray w = m.create(wd);
            NDArray b = m.create(bd);

            double[] expected = new double[xd.length];
            double[] expectedPlain = new double[xd.length];
            int perGroup = ch / groups * hw;
            for (int s = 0; s < n; s++) {
                for (int g = 0; g < groups; g++) {
                    int start = (s * ch + g * (ch / groups)) * hw;
                    double mean = 0;
                    for (int i = 0; i < perGroup; i++) {
                        mean += xd[start + i];
                    }
                    mean /= perGroup;
                    double var = 0; // biased
                    for (int i = 0; i < perGroup; i++) {
                        var += (xd[start + i] - mean) * (xd[start + i] - mean);
                    }
                    var /= perGroup;
                    for (int i = 0; i < perGroup; i++) {
                        int channel = g * (ch / groups) + i / hw;
                        double norm = (xd[start + i] - mean) / Math.sqrt(var + eps);
                        expectedPlain[start + i] = norm;
                        expected[start + i] = norm * wd[channel] + bd[channel];
                    }
                }
            }
            NDArray fused = TorchKernels.groupNorm(x, groups, w, b, eps);
            double err = maxAbsDiff(fused, expected);
            System.out.printf("group norm fused vs hand computation: max abs err = %.3e%n", err);
            assertTrue(err < 1e-5, "fused " + err);
            assertSame(m, fused.getManager());
            assertEquals(x.getShape(), fused.getShape());
            assertTrue(maxAbsDiff(ComposedKernels.groupNorm(x, groups, w, b, eps), expected)
                    < 1e-5, "composed");
            assertTrue(maxAbsDiff(TorchKernels.groupNorm(x, groups, null, null, eps),
                    expectedPlain) < 1e-5, "no affine");
            assertTrue(maxAbsDiff(Kernels.groupNorm(x, groups, w, b, eps), expected) < 1e-5);
            assertThrows(IllegalArgumentException.class,
                    () -> TorchKernels.groupNorm(x, 0, w, b, eps));
        }
    }

    @Test
    void groupNormGradientsMatchComposed() {
        Shape s = new Shape(2, 6, 3, 3);
        float[][] fused = groupNormGrads(true, s);
        float[][] composed = groupNormGrads(false, s);
        for (int i = 0; i < fused.length; i++) {
            double err = maxAbsDiff(fused[i], composed[i]);
            assertTrue(err < 1e-5, "gradient " + i + ": " + err);
        }
    }

    private static float[][] groupNormGrads(boolean fused, Shape s) {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = gaussian(m, 9, s);
            NDArray w = gaussian(m, 10, new Shape(6));
            NDArray b = gaussian(m, 11, new Shape(6));
            NDArray c = gaussian(m, 12, s);
            x.setRequiresGradient(true);
            w.setRequiresGradient(true);
            b.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray y = fused
                        ? TorchKernels.groupNorm(x, 3, w, b, 1e-6)
                        : ComposedKernels.groupNorm(x, 3, w, b, 1e-6);
                gc.backward(y.mul(c).sum());
            }
            return new float[][] {
                x.getGradient().toFloatArray(),
                w.getGradient().toFloatArray(),
                b.getGradient().toFloatArray()
            };
        }
    }

    @Test
    void geluTanhMatchesTheFormula() {
        int count = 241;
        float[] xd = new float[count];
        double[] expected = new double[count];
        for (int i = 0; i < count; i++) {
            xd[i] = -6f + 0.05f * i;
            double x = xd[i];
            expected[i] = 0.5 * x * (1 + Math.tanh(Math.sqrt(2 / Math.PI)
                    * (x + 0.044715 * x * x * x)));
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.create(xd);
            NDArray fused = TorchKernels.geluTanh(x);
            double err = maxAbsDiff(fused, expected);
            System.out.printf("gelu tanh fused vs formula: max abs err = %.3e%n", err);
            assertTrue(err < 1e-6, "fused " + err);
            assertTrue(maxAbsDiff(ComposedKernels.geluTanh(x), expected) < 1e-6, "composed");
            assertTrue(maxAbsDiff(Kernels.geluTanh(x), expected) < 1e-6, "auto");

            // DJL's own gelu is the exact erf form: gelu(1) = Phi(1) = 0.8413447460685429,
            // the tanh form gives 0.8411919906082768.
            NDArray one = m.create(new float[] {1f});
            assertEquals(0.8413447460685429, Activation.gelu(one).getFloat(0), 1e-6);
            assertEquals(0.8411919906082768, TorchKernels.geluTanh(one).getFloat(0), 1e-6);

            x.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(TorchKernels.geluTanh(x).sum());
            }
            NDArray gradFused = x.getGradient();
            NDArray x2 = m.create(xd);
            x2.setRequiresGradient(true);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(ComposedKernels.geluTanh(x2).sum());
            }
            assertTrue(maxAbsDiff(gradFused, x2.getGradient()) < 1e-5, "gradient");
        }
    }

    @Test
    void specsBakeTheirConstants() {
        KernelSpec a = TorchKernels.rmsNormSpec(1e-6, true);
        KernelSpec b = TorchKernels.rmsNormSpec(1e-5, true);
        assertTrue(!a.name().equals(b.name()), a.name());
        assertTrue(a.source().contains("1.0E-6"), a.source());
        assertEquals("GroupNormWBKernel_g32_eps_1p0Em6",
                TorchKernels.groupNormSpec(32, 1e-6, true, true).name());
        assertThrows(IllegalArgumentException.class, () -> TorchKernels.rmsNormSpec(-1, true));
        assertThrows(IllegalArgumentException.class,
                () -> TorchKernels.rmsNormSpec(Double.NaN, true));
    }
}
