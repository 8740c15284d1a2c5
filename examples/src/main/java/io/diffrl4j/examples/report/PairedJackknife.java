package io.diffrl4j.examples.report;

import java.util.function.ToDoubleFunction;

/**
 * A cheaper stand-in for {@link PairedBootstrap} when the change is costly to recompute (a Frechet
 * distance per resample): the leave-one-unit-out jackknife needs {@code n} recomputations instead
 * of thousands, and gives a standard error; the interval is {@code estimate ± 1.96 SE} (a normal
 * approximation, fine for smooth statistics such as a distance between fitted Gaussians). For a
 * mean the jackknife standard error equals the closed-form one exactly.
 */
public final class PairedJackknife {
    /** The two-sided 95% normal quantile. */
    static final double Z95 = 1.959963984540054;

    private PairedJackknife() {}

    /**
     * @param units how many units, at least 2
     * @param change the change computed on a list of unit indices
     * @return the change on all units with {@code ± 1.96} jackknife standard errors
     */
    public static PairedBootstrap.Interval of(int units, ToDoubleFunction<int[]> change) {
        if (units < 2) {
            throw new IllegalArgumentException("a jackknife needs at least two units, got " + units);
        }
        int[] all = new int[units];
        for (int i = 0; i < units; i++) {
            all[i] = i;
        }
        double estimate = change.applyAsDouble(all);
        double[] leaveOut = new double[units];
        int[] idx = new int[units - 1];
        for (int out = 0; out < units; out++) {
            int k = 0;
            for (int i = 0; i < units; i++) {
                if (i != out) {
                    idx[k++] = i;
                }
            }
            leaveOut[out] = change.applyAsDouble(idx);
        }
        double mean = 0;
        for (double v : leaveOut) {
            mean += v / units;
        }
        double ss = 0;
        for (double v : leaveOut) {
            ss += (v - mean) * (v - mean);
        }
        double se = Math.sqrt((units - 1.0) / units * ss);
        return new PairedBootstrap.Interval(estimate, estimate - Z95 * se, estimate + Z95 * se, se);
    }
}
