package io.diffrl4j.rewards.scale;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

/**
 * Another reward squashed onto (0, 1) by a fixed logistic map, {@code 1 / (1 + exp(-(r - center) /
 * scale))}. With {@code center} and {@code scale} set to the mean and standard deviation of the
 * base model's raw scores, the base model scores about 0.5 with a spread of about 0.2, as on GenEval
 * or OCR, and a policy that hacks the raw reward saturates towards 1 instead of running off to any
 * size. The map is fixed (never refitted during training), so it is monotone in the raw score and
 * the ordering within a group, hence the ranks GARDO's gate compares, is the raw reward's.
 *
 * <p>A raw score that is NaN or infinite is passed through as NaN so that the trainer's check
 * names it; closing this reward closes the wrapped one when it is {@link AutoCloseable}.
 */
public final class UnitIntervalReward implements RewardFunction, AutoCloseable {
    private final RewardFunction raw;
    private final String name;
    private final double center;
    private final double scale;

    /**
     * @param raw the reward to map
     * @param name this reward's name in metrics (not the raw reward's, whose scale differs)
     * @param center the raw score that maps to 0.5, finite
     * @param scale raw units per logit, finite and {@code > 0} (a negative value would reverse the order)
     */
    public UnitIntervalReward(RewardFunction raw, String name, double center, double scale) {
        if (raw == null || name == null || name.isBlank()) {
            throw new IllegalArgumentException("a raw reward and a name are needed");
        }
        if (!Double.isFinite(center) || !(scale > 0) || Double.isInfinite(scale)) {
            throw new IllegalArgumentException("center must be finite and scale finite and > 0, got center " + center
                    + ", scale " + scale);
        }
        this.raw = raw;
        this.name = name;
        this.center = center;
        this.scale = scale;
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the raw score that maps to 0.5 */
    public double center() {
        return center;
    }

    /** @return raw units per logit */
    public double scale() {
        return scale;
    }

    /**
     * @param rawScore a raw score
     * @return its value on (0, 1); NaN for a non-finite raw score
     */
    public double map(double rawScore) {
        if (!Double.isFinite(rawScore)) {
            return Double.NaN;
        }
        return 1.0 / (1.0 + Math.exp(-(rawScore - center) / scale));
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) throws Exception {
        double[] r = raw.score(images, prompts);
        if (r == null) {
            throw new IllegalStateException("reward '" + raw.name() + "' returned no scores");
        }
        double[] out = new double[r.length];
        for (int i = 0; i < r.length; i++) {
            out[i] = map(r[i]);
        }
        return out;
    }

    @Override
    public void close() throws Exception {
        if (raw instanceof AutoCloseable c) {
            c.close();
        }
    }

    @Override
    public String toString() {
        return name + " = logistic((" + raw.name() + " - " + center + ") / " + scale + ")";
    }
}
