package io.diffrl4j.core.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a run's per-epoch diagnostics ({@code metrics.csv} columns) and says in words whether the
 * updates had a signal to learn from: the answer to "why does nothing move?".
 *
 * <p>Reported: the medians over epochs of {@code terms_per_step}, {@code grad_snr},
 * {@code advantage/zero_fraction} and, where the objective clips, {@code clip_fraction}, and the
 * mean of {@code grad_consistency} over epochs with its standard error. Neither gradient number
 * alone says that a run cannot learn: measured on the Shapes compressibility task, Flow-GRPO raised
 * the held-out proxy from 0.44 to 0.60 in 10 epochs with a median per-step SNR of 0.99 and a mean
 * cosine of 0.010 ± 0.013 between successive steps (Adam's momentum and many steps add up a signal
 * too small to see in one step); its training proxy, drawn on other prompts each epoch, moved
 * +0.007 ± 0.037 in those 10 epochs and rose clearly only over 20. So the warning needs both: no direction detectable in the
 * gradients (the mean cosine within {@link #CHANCE} standard errors of 0, or below) and a training
 * proxy whose last window is not above its first by more than {@link #CHANCE} standard errors.
 * Most samples having zero advantage is warned about on its own.
 */
public final class LearningSignal {
    /** Standard errors within which a mean consistency counts as chance. */
    public static final double CHANCE = 2;

    /** Above this median share of zero-advantage samples most groups taught nothing. */
    public static final double MOSTLY_ZERO = 0.5;

    private LearningSignal() {}

    /**
     * @param epochs metric name to its per-epoch values (as {@code MetricsCsv} reads them); missing
     *     columns are left out of the sentence
     * @return one paragraph: the numbers, then a warning for each missing signal found
     */
    public static String describe(Map<String, double[]> epochs, String proxyKey) {
        List<String> parts = new ArrayList<>();
        double terms = median(epochs.get("terms_per_step"));
        double snr = median(epochs.get("grad_snr"));
        double[] consistency = meanAndError(epochs.get("grad_consistency"));
        double zero = median(epochs.get("advantage/zero_fraction"));
        double clip = median(epochs.get("clip_fraction"));
        if (Double.isFinite(terms)) {
            parts.add(String.format(Locale.ROOT, "%.0f training terms (images x trained steps) per optimizer step", terms));
        }
        if (Double.isFinite(snr)) {
            parts.add(String.format(Locale.ROOT, "a per-step gradient signal-to-noise ratio of %.2f (1 when a step's mean "
                    + "gradient is all noise)", snr));
        }
        if (Double.isFinite(consistency[0])) {
            parts.add(String.format(Locale.ROOT, "a cosine of %.3f ± %.3f between successive steps' gradients (0 for a "
                    + "random walk)", consistency[0], consistency[1]));
        }
        if (Double.isFinite(zero)) {
            parts.add(String.format(Locale.ROOT, "%.0f%% of samples with zero advantage", 100 * zero));
        }
        if (Double.isFinite(clip)) {
            parts.add(String.format(Locale.ROOT, "clip fraction %.3f", clip));
        }
        if (parts.isEmpty()) {
            return "";
        }
        StringBuilder b = new StringBuilder("Learning signal (medians over epochs; the cosine as mean ± standard error): ")
                .append(String.join(", ", parts)).append('.');
        for (String w : warnings(epochs, proxyKey)) {
            b.append(' ').append(w);
        }
        return b.toString();
    }

    /**
     * @param epochs metric name to its per-epoch values
     * @param proxyKey the column of the training proxy's per-epoch mean (absent: not judged)
     * @return the warnings alone (empty when none applies)
     */
    public static List<String> warnings(Map<String, double[]> epochs, String proxyKey) {
        List<String> out = new ArrayList<>();
        double[] consistency = meanAndError(epochs.get("grad_consistency"));
        boolean noDirection = Double.isFinite(consistency[1]) && consistency[0] <= CHANCE * consistency[1];
        double[] proxy = proxyKey == null ? null : epochs.get(proxyKey);
        double[] change = windowChange(proxy);
        boolean proxyFlat = Double.isFinite(change[1]) && change[0] <= CHANCE * change[1];
        if (noDirection && proxyFlat) {
            out.add(String.format(Locale.ROOT, "**Warning: training shows no sign of learning.** Successive optimizer "
                    + "steps' gradients agree no more than chance (cosine %.3f ± %.3f) and the training proxy did not rise "
                    + "beyond its noise (%+.3g ± %.2g, last window against first). If a held-out proxy on fixed prompts and "
                    + "noise did not rise either, the updates were a random walk; more images or more trained steps per "
                    + "optimizer step (more prompts per epoch, fewer optimizer steps per epoch, a longer SDE window) or a "
                    + "reward with more spread within a group give them a direction.",
                    consistency[0], consistency[1], change[0], change[1]));
        }
        double zero = median(epochs.get("advantage/zero_fraction"));
        if (Double.isFinite(zero) && zero > MOSTLY_ZERO) {
            out.add(String.format(Locale.ROOT, "**Warning: most samples taught nothing.** In a typical epoch %.0f%% of "
                    + "the samples had zero advantage (their group's rewards were all equal); a reward with finer grades or "
                    + "larger groups separates more images.", 100 * zero));
        }
        return out;
    }

    /**
     * The last window's mean minus the first's, with the standard error of that difference (each
     * window's sample SD over the square root of its length); windows of {@code max(1, min(5, n /
     * 3))} epochs, as the example reports read their training curves. NaN for fewer than 6 epochs.
     */
    static double[] windowChange(double[] values) {
        if (values == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double[] v = Arrays.stream(values).filter(Double::isFinite).toArray();
        int n = v.length;
        int w = Math.max(1, Math.min(5, n / 3));
        if (n < 6 || w < 2) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double[] first = meanAndSpread(v, 0, w);
        double[] last = meanAndSpread(v, n - w, n);
        return new double[] {last[0] - first[0], Math.sqrt(first[1] * first[1] / w + last[1] * last[1] / w)};
    }

    private static double[] meanAndSpread(double[] v, int from, int to) {
        double m = 0;
        for (int i = from; i < to; i++) {
            m += v[i] / (to - from);
        }
        double ss = 0;
        for (int i = from; i < to; i++) {
            ss += (v[i] - m) * (v[i] - m);
        }
        return new double[] {m, Math.sqrt(ss / (to - from - 1))};
    }

    /** The median of the finite values, NaN when there are none (or no column). */
    static double median(double[] values) {
        if (values == null) {
            return Double.NaN;
        }
        double[] finite = Arrays.stream(values).filter(Double::isFinite).sorted().toArray();
        int n = finite.length;
        if (n == 0) {
            return Double.NaN;
        }
        return n % 2 == 1 ? finite[n / 2] : (finite[n / 2 - 1] + finite[n / 2]) / 2;
    }

    /** The mean of the finite values and its standard error (NaN with fewer than 3 values). */
    static double[] meanAndError(double[] values) {
        if (values == null) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double[] v = Arrays.stream(values).filter(Double::isFinite).toArray();
        if (v.length == 0) {
            return new double[] {Double.NaN, Double.NaN};
        }
        double m = Arrays.stream(v).average().orElse(Double.NaN);
        if (v.length < 3) {
            return new double[] {m, Double.NaN};
        }
        double ss = Arrays.stream(v).map(x -> (x - m) * (x - m)).sum();
        return new double[] {m, Math.sqrt(ss / (v.length - 1) / v.length)};
    }
}
