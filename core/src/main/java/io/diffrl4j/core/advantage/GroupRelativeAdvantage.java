package io.diffrl4j.core.advantage;

import io.diffrl4j.core.reward.RewardBatch;

/**
 * Flow-GRPO's group-relative advantage (docs/ALGORITHMS.md 3): {@code A_i = (r_i - mean_group r) / (std +
 * 1e-4)}, with the std over the whole batch (default) or over the group, clipped to [-5, 5].
 */
public final class GroupRelativeAdvantage implements AdvantageEstimator {
    private static final double EPS = 1e-4;

    private final boolean globalStd;
    private final double clip;

    /** Flow-GRPO's defaults: global std, clip 5. */
    public GroupRelativeAdvantage() {
        this(true, 5.0);
    }

    /**
     * @param globalStd divide by the std of the whole batch (true) or of each group (false)
     * @param clip the advantage is clipped to [-clip, clip]; positive
     */
    public GroupRelativeAdvantage(boolean globalStd, double clip) {
        if (!(clip > 0)) {
            throw new IllegalArgumentException("clip must be > 0, got " + clip);
        }
        this.globalStd = globalStd;
        this.clip = clip;
    }

    @Override
    public double[] estimate(RewardBatch rewards) {
        double[] r = rewards.proxy();
        int g = rewards.groupSize();
        double batchStd = std(r, 0, r.length);
        double[] a = new double[r.length];
        for (int start = 0; start < r.length; start += g) {
            double mean = mean(r, start, start + g);
            double std = globalStd ? batchStd : std(r, start, start + g);
            for (int i = start; i < start + g; i++) {
                a[i] = Math.max(-clip, Math.min(clip, (r[i] - mean) / (std + EPS)));
            }
        }
        return a;
    }

    static double mean(double[] v, int from, int to) {
        double s = 0;
        for (int i = from; i < to; i++) {
            s += v[i];
        }
        return s / (to - from);
    }

    /** Population std (numpy's default, as the reference code uses). */
    static double std(double[] v, int from, int to) {
        double m = mean(v, from, to);
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (v[i] - m) * (v[i] - m);
        }
        return Math.sqrt(s / (to - from));
    }
}
