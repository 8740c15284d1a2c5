package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;

import java.util.Random;

/** Deterministic inputs and error measures for the kernel tests. */
final class KernelTestSupport {

    private KernelTestSupport() {}

    static float[] gaussian(long seed, int n, double scale) {
        Random r = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) (r.nextGaussian() * scale);
        }
        return out;
    }

    static NDArray gaussian(NDManager m, long seed, Shape shape) {
        return m.create(gaussian(seed, (int) shape.size(), 1.0), shape);
    }

    static double maxAbsDiff(float[] a, float[] b) {
        if (a.length != b.length) {
            throw new AssertionError("length " + a.length + " vs " + b.length);
        }
        double max = 0;
        for (int i = 0; i < a.length; i++) {
            double d = Math.abs((double) a[i] - b[i]);
            if (Double.isNaN(d)) {
                return Double.NaN;
            }
            max = Math.max(max, d);
        }
        return max;
    }

    static double maxAbsDiff(NDArray a, NDArray b) {
        if (!a.getShape().equals(b.getShape())) {
            throw new AssertionError("shape " + a.getShape() + " vs " + b.getShape());
        }
        return maxAbsDiff(a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray(),
                b.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray());
    }

    static double maxAbsDiff(NDArray a, double[] expected) {
        float[] f = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
        if (f.length != expected.length) {
            throw new AssertionError("length " + f.length + " vs " + expected.length);
        }
        double max = 0;
        for (int i = 0; i < f.length; i++) {
            max = Math.max(max, Math.abs(f[i] - expected[i]));
        }
        return max;
    }
}
