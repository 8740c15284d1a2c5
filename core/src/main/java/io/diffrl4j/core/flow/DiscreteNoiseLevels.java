package io.diffrl4j.core.flow;

/**
 * The discrete schedule of DiffusionNFT and CRD: the first {@code floor(steps * fraction)} levels
 * of an {@link InferenceSchedule} of {@code steps} steps (so the near-clean tail is left out), in a
 * fresh random order for every sample. Defaults: 20 steps, shift 3, fraction 0.99.
 */
public final class DiscreteNoiseLevels implements TrainingNoiseLevels {
    private final double[] levels;

    /** docs/ALGORITHMS.md 7.2: 20 timesteps, shift 3, range 0.99. */
    public DiscreteNoiseLevels() {
        this(20, 3.0, 0.99);
    }

    /**
     * @param steps schedule length, at least 1
     * @param shift SD3 time shift
     * @param fraction share of the schedule used, in (0, 1]
     */
    public DiscreteNoiseLevels(int steps, double shift, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        InferenceSchedule schedule = InferenceSchedule.of(steps, shift);
        int used = Math.max(1, (int) Math.floor(steps * fraction));
        levels = new double[used];
        for (int i = 0; i < used; i++) {
            levels[i] = schedule.sigma(i);
        }
    }

    @Override
    public int levelsPerSample() {
        return levels.length;
    }

    /** @return a copy of the levels in schedule order (descending) */
    public double[] levels() {
        return levels.clone();
    }

    @Override
    public double[][] draw(int batch, SeededNoise rng) {
        double[][] out = new double[batch][levels.length];
        for (int b = 0; b < batch; b++) {
            int[] perm = rng.permutation(levels.length);
            for (int j = 0; j < levels.length; j++) {
                out[b][j] = levels[perm[j]];
            }
        }
        return out;
    }
}
