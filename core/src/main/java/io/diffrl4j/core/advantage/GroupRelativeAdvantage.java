package io.diffrl4j.core.advantage;

import io.diffrl4j.core.reward.RewardBatch;

/**
 * Flow-GRPO's group-relative advantage (docs/ALGORITHMS.md 3): {@code A_i = (r_i - mean_group r) / (std +
 * 1e-4)}, with the std over the whole batch (default) or over the group, clipped to [-5, 5]. The
 * guard on the std is configurable ({@link StdGuard}; CRD's reference uses {@code max(std, 1e-6)}).
 * The std is the population std (numpy's, as flow_grpo computes it); {@link #withUnbiasedStd()}
 * divides by {@code n - 1} instead (torch's {@code Tensor.std()}, as DanceGRPO and MixGRPO compute it).
 */
public final class GroupRelativeAdvantage implements AdvantageEstimator {
    /** Flow-GRPO's and DiffusionNFT's {@code std + 1e-4}. */
    public static final double DEFAULT_EPS = 1e-4;

    private final boolean globalStd;
    private final double clip;
    private final StdGuard guard;
    private final double eps;
    private final boolean unbiased;

    /** Flow-GRPO's defaults: global std, clip 5. */
    public GroupRelativeAdvantage() {
        this(true, 5.0);
    }

    /**
     * @param globalStd divide by the std of the whole batch (true) or of each group (false)
     * @param clip the advantage is clipped to [-clip, clip]; positive
     */
    public GroupRelativeAdvantage(boolean globalStd, double clip) {
        this(globalStd, clip, StdGuard.ADD, DEFAULT_EPS);
    }

    /**
     * @param globalStd divide by the std of the whole batch (true) or of each group (false)
     * @param clip the advantage is clipped to [-clip, clip]; positive
     * @param guard how the std is kept away from zero
     * @param eps the guard's constant, finite and {@code > 0}
     */
    public GroupRelativeAdvantage(boolean globalStd, double clip, StdGuard guard, double eps) {
        this(globalStd, clip, guard, eps, false);
    }

    private GroupRelativeAdvantage(boolean globalStd, double clip, StdGuard guard, double eps, boolean unbiased) {
        if (!(clip > 0)) {
            throw new IllegalArgumentException("clip must be > 0, got " + clip);
        }
        if (guard == null || !(eps > 0) || Double.isInfinite(eps)) {
            throw new IllegalArgumentException("a std guard and a finite eps > 0 are needed, got " + guard + ", " + eps);
        }
        this.globalStd = globalStd;
        this.clip = clip;
        this.guard = guard;
        this.eps = eps;
        this.unbiased = unbiased;
    }

    /**
     * @return these advantages with the std divided by {@code n - 1} (Bessel's correction, torch's
     *     default), every other setting kept
     */
    public GroupRelativeAdvantage withUnbiasedStd() {
        return new GroupRelativeAdvantage(globalStd, clip, guard, eps, true);
    }

    /** @return whether the std divides by {@code n - 1} instead of {@code n} */
    public boolean unbiasedStd() {
        return unbiased;
    }

    /** @return how the std is guarded */
    public StdGuard guard() {
        return guard;
    }

    /** @return the guard's constant */
    public double eps() {
        return eps;
    }

    @Override
    public double[] estimate(RewardBatch rewards) {
        return normalise(rewards.proxy(), rewards.groupSize());
    }

    /**
     * The advantage of any per-image rewards (Flow-GRPO's KL-in-reward normalises one column of
     * per-step rewards at a time this way, as the reference's stat tracker does on its 2-d rewards).
     *
     * @param r per-image rewards, prompt order, whole groups
     * @param g the group size
     * @return the group-relative advantages, clipped
     */
    public double[] normalise(double[] r, int g) {
        if (g < 1 || r.length % g != 0) {
            throw new IllegalArgumentException(r.length + " rewards do not form groups of " + g);
        }
        if (unbiased && g < 2) {
            throw new IllegalArgumentException("an unbiased std needs groups of at least 2 images, got " + g);
        }
        double batchStd = std(r, 0, r.length, unbiased);
        double[] a = new double[r.length];
        for (int start = 0; start < r.length; start += g) {
            double mean = mean(r, start, start + g);
            double std = globalStd ? batchStd : std(r, start, start + g, unbiased);
            for (int i = start; i < start + g; i++) {
                a[i] = Math.max(-clip, Math.min(clip, (r[i] - mean) / guard.divisor(std, eps)));
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

    /** The population std (numpy's default, as flow_grpo uses), or with {@code unbiased} torch's {@code n - 1} form. */
    static double std(double[] v, int from, int to, boolean unbiased) {
        double m = mean(v, from, to);
        double s = 0;
        for (int i = from; i < to; i++) {
            s += (v[i] - m) * (v[i] - m);
        }
        return Math.sqrt(s / (to - from - (unbiased ? 1 : 0)));
    }
}
