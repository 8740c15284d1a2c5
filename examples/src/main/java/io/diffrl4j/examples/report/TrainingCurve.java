package io.diffrl4j.examples.report;

import java.util.Arrays;
import java.util.Locale;

/**
 * Reads a per-epoch training metric whose epochs draw different prompts (the training reward):
 * one epoch against another mostly compares prompts, so the curve is a trailing moving average
 * over {@link #window} epochs with the standard error of each window's mean, and a change is the
 * last window against the first.
 */
public final class TrainingCurve {
    /** The fewest epochs in a window that {@link #describe} compares: one epoch is one draw of prompts. */
    public static final int MIN_WINDOW = 2;

    private TrainingCurve() {}

    /**
     * @param epochs training epochs
     * @return epochs per window: 5, fewer for short runs (a third of them, at least 1), so that the
     *     first and last windows do not overlap from 3 epochs on
     */
    public static int window(int epochs) {
        return Math.max(1, Math.min(5, epochs / 3)); // 1 only below 6 epochs, where describe() compares no windows
    }

    /**
     * @param v per-epoch values (NaN are skipped)
     * @param w window length
     * @return {@code {mean, standardError}}, each of {@code v.length}: the trailing window's mean
     *     and its standard error (sample standard deviation / sqrt(count); 0 for one value)
     */
    public static double[][] movingAverage(double[] v, int w) {
        double[] mean = new double[v.length];
        double[] se = new double[v.length];
        for (int i = 0; i < v.length; i++) {
            double[] win = Arrays.stream(Arrays.copyOfRange(v, Math.max(0, i - w + 1), i + 1)).filter(Double::isFinite).toArray();
            mean[i] = win.length == 0 ? Double.NaN : Arrays.stream(win).average().orElseThrow();
            se[i] = win.length < 2 ? 0 : PairedBootstrap.standardDeviation(win) / Math.sqrt(win.length);
        }
        return new double[][] {mean, se};
    }

    /**
     * The change in words: the first window against the last, with standard errors; a change
     * counts when it exceeds twice its standard error.
     *
     * @param what what the values are, and why epochs differ (opens the sentence, closed by ")")
     * @param v per-epoch values
     * @return one sentence
     */
    public static String describe(String what, double[] v) {
        int n = v.length;
        if (n < 2 * MIN_WINDOW) {
            double[][] all = movingAverage(v, n);
            return String.format(Locale.ROOT, "%s): mean of the %d epochs %s ± %s (± standard error); too few epochs to "
                    + "compare a first and a last window of %d.", what, n, num(all[0][n - 1]), num(all[1][n - 1]), MIN_WINDOW);
        }
        int w = window(n);
        double[][] ma = movingAverage(v, w);
        double first = ma[0][w - 1];
        double firstSe = ma[1][w - 1];
        double last = ma[0][n - 1];
        double lastSe = ma[1][n - 1];
        double d = last - first;
        double se = Math.hypot(firstSe, lastSe);
        double sd = PairedBootstrap.standardDeviation(Arrays.stream(v).filter(Double::isFinite).toArray());
        String verdict = se == 0 ? "no spread to judge it by" : Math.abs(d) <= 2 * se ? "within noise (under 2 standard errors)"
                : (d > 0 ? "rose" : "fell") + " by more than 2 standard errors";
        return String.format(Locale.ROOT, "%s: per-epoch means spread %s (SD)): mean of epochs 1-%d %s ± %s, of epochs %d-%d "
                + "%s ± %s (± standard error), change %s ± %s: %s.", what, num(sd), w, num(first), num(firstSe),
                n - w + 1, n, num(last), num(lastSe), signed(d), num(se), verdict);
    }

    /** @return three significant digits */
    public static String num(double v) {
        return String.format(Locale.ROOT, "%.3g", v);
    }

    /** @return two significant digits with a sign, so that a change reads as one */
    public static String signed(double v) {
        if (v == 0) {
            return "0";
        }
        String s = String.format(Locale.ROOT, "%.2g", v);
        return s.startsWith("-") ? s : "+" + s;
    }
}
