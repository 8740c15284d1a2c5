package io.diffrl4j.core.flow;

/**
 * CRD's training levels in the Flow-Factory port ({@code trainers/crd.py} with
 * {@code time_sampling_strategy: discrete}, {@code num_train_timesteps: 20},
 * {@code timestep_range: 0.99}; {@code TimeSampler.discrete} in {@code utils/noise_schedule.py}):
 * {@code P} passes stratified over the index span of the rollout's own {@code N} levels, one level
 * per pass shared by the images (here: of a group, see {@link #sharedWithinGroup()}), in stratum order.
 *
 * <p>The valid indices are those whose timestep {@code 1000 sigma(i)} lies in
 * {@code [1000 (1 - range) - 1e-3, 1000 + 1e-3]}; with {@code lo, hi} the smallest and largest of
 * them, {@code b = linspace(lo, hi, P + 1)}, stratum {@code k} has {@code lower = floor(b[k])},
 * {@code upper = floor(b[k + 1])} and index {@code lower + floor(u (upper - lower))} with {@code u}
 * uniform in [0, 1). On the library's 10-step shift-3 {@link InferenceSchedule} the last level is
 * {@code sigma(9) = 0.0089} (timestep 8.9, below 10), so the valid span is 0..8; 20 passes give strata
 * narrower than 2 and a deterministic draw: indices {@code floor(0.4 k)} =
 * 0,0,0,1,1,2,2,2,3,3,4,4,4,5,5,6,6,6,7,7. (The port's own SD3.5 rollout grid is
 * {@code shift(linspace(1, 1/N, N))}, whose last level 0.25 is valid, giving {@code floor(0.45 k)};
 * the rule is applied here to the grid the library's rollouts walk.) Immutable.
 */
public final class StratifiedRolloutNoiseLevels implements TrainingNoiseLevels {
    /** The port's {@code num_train_timesteps}. */
    public static final int PORT_PASSES = 20;
    /** The port's {@code timestep_range}. */
    public static final double PORT_RANGE = 0.99;

    private final double[] levels;
    private final int passes;
    private final int lo;
    private final int hi;

    /**
     * @param passes P, the number of training passes, at least 1
     * @param steps the rollout's step count N
     * @param shift the rollout's SD3 time shift
     * @param range {@code timestep_range}, in (0, 1]
     */
    public StratifiedRolloutNoiseLevels(int passes, int steps, double shift, double range) {
        this(passes, InferenceSchedule.of(steps, shift), validSpan(steps, shift, range));
    }

    private StratifiedRolloutNoiseLevels(int passes, InferenceSchedule schedule, int[] span) {
        if (passes < 1) {
            throw new IllegalArgumentException("passes must be >= 1, got " + passes);
        }
        int steps = schedule.steps();
        if (span[0] < 0 || span[1] > steps - 1 || span[0] > span[1]) {
            throw new IllegalArgumentException("the index span " + span[0] + ".." + span[1] + " is not within the "
                    + steps + " levels of the rollout");
        }
        levels = new double[steps];
        for (int i = 0; i < steps; i++) {
            levels[i] = schedule.sigma(i);
        }
        this.passes = passes;
        this.lo = span[0];
        this.hi = span[1];
    }

    /**
     * AWM's strata ({@code time_type = "discrete_wo_init"} with {@code lo = 1}, {@code "discrete"}
     * with {@code lo = 0}; {@code hi = int(N * timestep_fraction)}): the rule above over the level
     * indices {@code lo..hi} given directly.
     *
     * @param passes P, at least 1
     * @param steps the rollout's step count N
     * @param shift the rollout's SD3 time shift
     * @param lo the first index of the span
     * @param hi the last index of the span (the top of the last stratum, drawn only when a stratum is empty)
     * @return the levels
     */
    public static StratifiedRolloutNoiseLevels overIndices(int passes, int steps, double shift, int lo, int hi) {
        return new StratifiedRolloutNoiseLevels(passes, InferenceSchedule.of(steps, shift), new int[] {lo, hi});
    }

    /** @return the first and last index whose timestep lies in the top {@code range} of the axis */
    private static int[] validSpan(int steps, double shift, double range) {
        if (!(range > 0 && range <= 1)) {
            throw new IllegalArgumentException("range must be in (0, 1], got " + range);
        }
        InferenceSchedule schedule = InferenceSchedule.of(steps, shift);
        double tMin = InferenceSchedule.TRAIN_TIMESTEPS * (1 - range);
        double tMax = InferenceSchedule.TRAIN_TIMESTEPS;
        int first = -1;
        int last = -1;
        for (int i = 0; i < steps; i++) {
            double t = schedule.timestep(i);
            if (t >= tMin - 1e-3 && t <= tMax + 1e-3) {
                first = first < 0 ? i : first;
                last = i;
            }
        }
        if (first < 0) {
            throw new IllegalArgumentException("no level of the " + steps + "-step rollout lies in the top " + range
                    + " of the timesteps");
        }
        return new int[] {first, last};
    }

    /** CRD's port defaults: 20 passes over the 10-step shift-3 rollout, range 0.99. */
    public StratifiedRolloutNoiseLevels() {
        this(PORT_PASSES, 10, 3.0, PORT_RANGE);
    }

    @Override
    public int levelsPerSample() {
        return passes;
    }

    @Override
    public boolean sharedWithinGroup() {
        return true;
    }

    /** @return a copy of the rollout's N levels in schedule order (descending) */
    public double[] levels() {
        return levels.clone();
    }

    /**
     * @param u one uniform draw per pass
     * @return the level index of each pass
     */
    int[] indices(double[] u) {
        int[] out = new int[passes];
        for (int k = 0; k < passes; k++) {
            // torch.linspace in float32, then .long() truncation, as the port computes the strata.
            int lower = (int) (float) (lo + (double) (hi - lo) * k / passes);
            int upper = (int) (float) (lo + (double) (hi - lo) * (k + 1) / passes);
            out[k] = Math.min(levels.length - 1, lower + (int) (u[k] * (upper - lower)));
        }
        return out;
    }

    @Override
    public double[][] draw(int batch, SeededNoise rng) {
        double[] u = new double[passes];
        for (int k = 0; k < passes; k++) {
            u[k] = rng.nextDouble();
        }
        int[] idx = indices(u);
        double[][] out = new double[batch][passes];
        for (int b = 0; b < batch; b++) {
            for (int k = 0; k < passes; k++) {
                out[b][k] = levels[idx[k]];
            }
        }
        return out;
    }

    @Override
    public String toString() {
        return "StratifiedRolloutNoiseLevels[" + passes + " passes over levels " + lo + ".." + hi + " of " + levels.length
                + "]";
    }
}
