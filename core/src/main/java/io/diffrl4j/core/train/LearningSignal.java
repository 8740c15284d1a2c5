package io.diffrl4j.core.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Reads a run's per-epoch diagnostics ({@code metrics.csv} columns) and says in words whether the
 * updates had enough signal to learn from: the answer to "why does nothing move?".
 *
 * <p>The medians over epochs of {@code terms_per_step}, {@code grad_snr},
 * {@code advantage/zero_fraction} and, where the objective clips, {@code clip_fraction} are
 * reported; a warning is added when the median gradient signal-to-noise ratio is below
 * {@link #WEAK_SNR} (the estimated signal power {@code (snr^2 - 1) s^2 / K} is then below the noise
 * power {@code s^2 / K}, see {@link GradientSignal}) or when most samples had zero advantage.
 */
public final class LearningSignal {
    /** {@code sqrt(2)}: below it the mean gradient's estimated signal is weaker than its noise. */
    public static final double WEAK_SNR = Math.sqrt(2);

    /** Above this median share of zero-advantage samples most groups taught nothing. */
    public static final double MOSTLY_ZERO = 0.5;

    private LearningSignal() {}

    /**
     * @param epochs metric name to its per-epoch values (as {@code MetricsCsv} reads them); missing
     *     columns are left out of the sentence
     * @return one paragraph: the medians, then a warning for each weak signal found
     */
    public static String describe(Map<String, double[]> epochs) {
        List<String> parts = new ArrayList<>();
        double terms = median(epochs.get("terms_per_step"));
        double snr = median(epochs.get("grad_snr"));
        double zero = median(epochs.get("advantage/zero_fraction"));
        double clip = median(epochs.get("clip_fraction"));
        if (Double.isFinite(terms)) {
            parts.add(String.format(Locale.ROOT, "%.0f training terms (images x trained steps) per optimizer step", terms));
        }
        if (Double.isFinite(snr)) {
            parts.add(String.format(Locale.ROOT, "gradient signal-to-noise ratio %.2f (about 1 when a step is pure noise)",
                    snr));
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
        StringBuilder b = new StringBuilder("Learning signal (medians over epochs): ").append(String.join(", ", parts))
                .append('.');
        for (String w : warnings(epochs)) {
            b.append(' ').append(w);
        }
        return b.toString();
    }

    /**
     * @param epochs metric name to its per-epoch values
     * @return the warnings alone (empty when none applies)
     */
    public static List<String> warnings(Map<String, double[]> epochs) {
        List<String> out = new ArrayList<>();
        double snr = median(epochs.get("grad_snr"));
        if (Double.isFinite(snr) && snr < WEAK_SNR) {
            out.add(String.format(Locale.ROOT, "**Warning: the signal is too weak to learn from.** In a typical optimizer "
                    + "step the mean gradient is within %.2f standard errors of zero, so its estimated signal is weaker than "
                    + "its noise and the updates mostly follow noise; more images or more trained steps per optimizer step "
                    + "(more prompts per epoch, fewer optimizer steps per epoch, a longer SDE window) raise it.", snr));
        }
        double zero = median(epochs.get("advantage/zero_fraction"));
        if (Double.isFinite(zero) && zero > MOSTLY_ZERO) {
            out.add(String.format(Locale.ROOT, "**Warning: most samples taught nothing.** In a typical epoch %.0f%% of "
                    + "the samples had zero advantage (their group's rewards were all equal); a reward with finer grades or "
                    + "larger groups separates more images.", 100 * zero));
        }
        return out;
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
}
