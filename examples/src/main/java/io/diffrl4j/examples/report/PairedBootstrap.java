package io.diffrl4j.examples.report;

import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.function.ToDoubleFunction;

/**
 * How sure a before/after change is, when both were measured on the same units (held-out prompts
 * with the same noise): a paired bootstrap resamples the units with replacement, recomputes the
 * change on each resample and reads a percentile interval off those recomputed changes. Pairing
 * matters: a prompt that is hard before is hard after, so the change varies much less from prompt
 * to prompt than either value does.
 *
 * <p>Deterministic: the resamples come from a {@link SplittableRandom} with the given seed, so a
 * report regenerated from the same numbers shows the same interval.
 */
public final class PairedBootstrap {
    /** Resamples of the reports: the 2.5% and 97.5% percentiles then move by well under a tenth of the interval. */
    public static final int RESAMPLES = 2000;
    /** The reports' seed. */
    public static final long SEED = 20240607L;

    /**
     * A change with its uncertainty.
     *
     * @param estimate the change on the units as measured
     * @param low the lower end of the 95% percentile interval
     * @param high the upper end
     * @param standardError the standard deviation of the resampled changes
     */
    public record Interval(double estimate, double low, double high, double standardError) {
        /** @return true when the interval contains 0: the change is within the noise of the units */
        public boolean containsZero() {
            return low <= 0 && high >= 0;
        }
    }

    private PairedBootstrap() {}

    /**
     * The change of a mean, paired by unit.
     *
     * @param before one value per unit
     * @param after one value per unit, the same units in the same order
     * @param resamples bootstrap resamples
     * @param seed the resampling seed
     * @return {@code mean(after) - mean(before)} and its 95% interval
     */
    public static Interval meanDifference(double[] before, double[] after, int resamples, long seed) {
        double[] d = differences(before, after);
        return of(d.length, idx -> {
            double s = 0;
            for (int i : idx) {
                s += d[i];
            }
            return s / idx.length;
        }, resamples, seed);
    }

    /**
     * Any statistic of the units (for example a Frechet distance of their images, which is not a
     * mean of per-unit values).
     *
     * @param units how many units
     * @param change the change computed on a list of unit indices (with repeats in a resample)
     * @param resamples bootstrap resamples, at least 2
     * @param seed the resampling seed
     * @return the change on {@code 0..units-1} and its 95% interval
     */
    public static Interval of(int units, ToDoubleFunction<int[]> change, int resamples, long seed) {
        if (units < 1 || resamples < 2) {
            throw new IllegalArgumentException("need at least one unit and two resamples, got " + units + " and " + resamples);
        }
        int[] all = new int[units];
        Arrays.setAll(all, i -> i);
        double estimate = change.applyAsDouble(all);
        SplittableRandom random = new SplittableRandom(seed);
        double[] stats = new double[resamples];
        int[] idx = new int[units];
        for (int r = 0; r < resamples; r++) {
            for (int i = 0; i < units; i++) {
                idx[i] = random.nextInt(units);
            }
            stats[r] = change.applyAsDouble(idx);
        }
        Arrays.sort(stats);
        return new Interval(estimate, percentile(stats, 0.025), percentile(stats, 0.975), standardDeviation(stats));
    }

    /**
     * The closed form the bootstrap approximates for a mean: the standard error of the mean of the
     * per-unit differences, {@code sd(after - before) / sqrt(n)} with the sample standard deviation
     * (divisor {@code n - 1}).
     *
     * @param before one value per unit
     * @param after one value per unit
     * @return the standard error, 0 for a single unit
     */
    public static double standardErrorOfMeanDifference(double[] before, double[] after) {
        double[] d = differences(before, after);
        return d.length < 2 ? 0 : standardDeviation(d) / Math.sqrt(d.length);
    }

    /**
     * @param v values
     * @return the sample standard deviation (divisor {@code n - 1}), 0 for fewer than two values
     */
    public static double standardDeviation(double[] v) {
        if (v.length < 2) {
            return 0;
        }
        double m = Arrays.stream(v).average().orElseThrow();
        double ss = 0;
        for (double x : v) {
            ss += (x - m) * (x - m);
        }
        return Math.sqrt(ss / (v.length - 1));
    }

    /** Linear interpolation between order statistics (the "type 7" rule of R and NumPy). */
    static double percentile(double[] sorted, double p) {
        double pos = p * (sorted.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(sorted.length - 1, lo + 1);
        return sorted[lo] + (pos - lo) * (sorted[hi] - sorted[lo]);
    }

    private static double[] differences(double[] before, double[] after) {
        if (before.length != after.length || before.length == 0) {
            throw new IllegalArgumentException("paired values need the same non-zero count, got " + before.length + " before and "
                    + after.length + " after");
        }
        double[] d = new double[before.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = after[i] - before[i];
        }
        return d;
    }
}
