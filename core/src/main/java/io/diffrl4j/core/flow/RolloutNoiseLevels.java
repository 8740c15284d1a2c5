package io.diffrl4j.core.flow;

/**
 * The training levels of DiffusionNFT's reference code ({@code train_nft_sd3.py}): the rollout's own
 * {@code N} noise levels ({@code sigma(0) = 1} down to {@code sigma(N-1)}, the
 * {@link InferenceSchedule} the images were sampled on), in a fresh random order for every sample
 * ({@code torch.randperm(num_timesteps)} per sample), of which the first
 * {@code floor(N * fraction)} are trained ({@code num_train_timesteps = int(num_steps *
 * timestep_fraction)}: 9 of 10 with 0.99, all 10 with GARDO's 1.0). Unlike
 * {@link DiscreteNoiseLevels}, the level left out differs per sample and may be any of the N,
 * including pure noise. {@link #sharedSubset} is DGPO's form: {@code M} distinct levels among the
 * first {@code K} of the rollout, one draw shared by the images of a group. Immutable.
 */
public final class RolloutNoiseLevels implements TrainingNoiseLevels {
    private final double[] levels;
    private final int used;
    private final int candidates;
    private final boolean shared;

    /**
     * @param steps the rollout's step count N, at least 1
     * @param shift the rollout's SD3 time shift
     * @param fraction share of the N levels trained per sample, in (0, 1]
     */
    public RolloutNoiseLevels(int steps, double shift, double fraction) {
        if (!(fraction > 0 && fraction <= 1)) {
            throw new IllegalArgumentException("fraction must be in (0, 1], got " + fraction);
        }
        InferenceSchedule schedule = InferenceSchedule.of(steps, shift);
        levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = schedule.sigma(i);
        }
        used = Math.max(1, (int) Math.floor(steps * fraction));
        candidates = steps;
        shared = false;
    }

    private RolloutNoiseLevels(int steps, double shift, int used, int candidates) {
        if (candidates < 1 || candidates > steps || used < 1 || used > candidates) {
            throw new IllegalArgumentException("need 1 <= levels <= candidates <= steps; got " + used + " levels of the first "
                    + candidates + " of " + steps);
        }
        InferenceSchedule schedule = InferenceSchedule.of(steps, shift);
        levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = schedule.sigma(i);
        }
        this.used = used;
        this.candidates = candidates;
        this.shared = true;
    }

    /**
     * DGPO's levels ({@code random.sample(range(trunc_steps + 1), num_train_timesteps)} on the rollout's
     * own timesteps): {@code count} distinct levels among the first {@code candidates} of the rollout,
     * in random order, the same for every image of a group (the reference draws once per epoch for
     * the whole batch).
     *
     * @param count M, the levels per sample
     * @param steps the rollout's step count N
     * @param shift the rollout's SD3 time shift
     * @param candidates K, how many of the noisiest levels are eligible ({@code trunc_steps + 1})
     * @return the levels
     */
    public static RolloutNoiseLevels sharedSubset(int count, int steps, double shift, int candidates) {
        return new RolloutNoiseLevels(steps, shift, count, candidates);
    }

    @Override
    public boolean sharedWithinGroup() {
        return shared;
    }

    @Override
    public int levelsPerSample() {
        return used;
    }

    /** @return a copy of the N rollout levels in schedule order (descending) */
    public double[] levels() {
        return levels.clone();
    }

    @Override
    public double[][] draw(int batch, SeededNoise rng) {
        double[][] out = new double[batch][used];
        for (int b = 0; b < batch; b++) {
            int[] perm = rng.permutation(candidates);
            for (int j = 0; j < used; j++) {
                out[b][j] = levels[perm[j]];
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "RolloutNoiseLevels[" + used + " of " + (candidates == levels.length ? "" : "the first " + candidates + " of ")
                + levels.length + (shared ? ", shared within a group" : "") + "]";
    }
}
