package io.diffrl4j.core.flow;

import java.util.function.DoubleSupplier;

/** Independent noise levels uniform in [lo, hi], {@code count} per sample. */
public final class UniformNoiseLevels implements TrainingNoiseLevels {
    private final double lo;
    private final double hi;
    private final int count;

    /**
     * @param lo lower bound, in [0, 1]
     * @param hi upper bound, in [lo, 1]
     * @param count levels per sample, at least 1
     */
    public UniformNoiseLevels(double lo, double hi, int count) {
        if (!(lo >= 0 && lo <= hi && hi <= 1)) {
            throw new IllegalArgumentException("need 0 <= lo <= hi <= 1, got lo=" + lo + " hi=" + hi);
        }
        this.lo = lo;
        this.hi = hi;
        this.count = requireCount(count);
    }

    @Override
    public int levelsPerSample() {
        return count;
    }

    @Override
    public double[][] draw(int batch, SeededNoise rng) {
        return independent(batch, count, () -> lo + (hi - lo) * rng.nextDouble());
    }

    /** Checks a levels-per-sample count (also used by {@link LogitNormalNoiseLevels}). */
    static int requireCount(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("count must be >= 1, got " + count);
        }
        return count;
    }

    /**
     * {@code batch} rows of {@code count} independent levels, each taken from {@code level} in row-major order
     * (also used by {@link LogitNormalNoiseLevels}).
     */
    static double[][] independent(int batch, int count, DoubleSupplier level) {
        double[][] out = new double[batch][count];
        for (int b = 0; b < batch; b++) {
            for (int j = 0; j < count; j++) {
                out[b][j] = level.getAsDouble();
            }
        }
        return out;
    }
}
