package io.diffrl4j.samplers;

import io.diffrl4j.core.flow.SeededNoise;

/**
 * Which steps of a rollout are stochastic (and so trainable). Outside the window the sampler takes
 * deterministic Euler steps.
 *
 * <ul>
 *   <li>{@link #none()}: an ODE rollout (DiffusionNFT, CRD);
 *   <li>{@link #all()}: every step stochastic (Flow-GRPO); with {@link #withSharedPrefix()} a
 *       group shares its initial noise (DanceGRPO);
 *   <li>{@link #random(int, int, int)}: Flow-GRPO-Fast, {@code k} consecutive steps starting at a
 *       random index in {@code [lo, hi - k]}. Every image has its own initial noise, as the
 *       reference's base config ({@code sample.same_latent = False}); {@link #withSharedPrefix()}
 *       gives the images of a prompt's group the same initial noise and so the same deterministic
 *       prefix, which the sampler then computes once per prompt ({@code same_latent = True}, used by
 *       some of the reference's Fast and GARDO-FLUX configs).
 *   <li>{@link #sliding(SlidingSdeWindow)}: MixGRPO, a window that moves over training; the
 *       sampler of each epoch fixes it ({@link #atEpoch}).
 * </ul>
 */
public final class SdeWindow {
    private final int length;
    private final int lo;
    private final int hi;
    private final boolean everything;
    private final boolean sharedPrefix;
    private final SlidingSdeWindow sliding;

    private SdeWindow(int length, int lo, int hi, boolean everything, boolean sharedPrefix) {
        this(length, lo, hi, everything, sharedPrefix, null);
    }

    private SdeWindow(int length, int lo, int hi, boolean everything, boolean sharedPrefix, SlidingSdeWindow sliding) {
        this.sliding = sliding;
        this.length = length;
        this.lo = lo;
        this.hi = hi;
        this.everything = everything;
        this.sharedPrefix = sharedPrefix;
    }

    /** @return the window of an ODE rollout: no stochastic step */
    public static SdeWindow none() {
        return new SdeWindow(0, 0, 0, false, false);
    }

    /** @return every step stochastic */
    public static SdeWindow all() {
        return new SdeWindow(0, 0, 0, true, false);
    }

    /**
     * @param length k, the number of consecutive stochastic steps, at least 1
     * @param lo the earliest start index
     * @param hi the window ends at or before this index ({@code lo + k <= hi})
     * @return a Flow-GRPO-Fast window with a random start per rollout batch and independent initial
     *     noise per image
     */
    public static SdeWindow random(int length, int lo, int hi) {
        if (length < 1 || lo < 0 || lo + length > hi) {
            throw new IllegalArgumentException(
                    "window needs length >= 1 and 0 <= lo, lo + length <= hi; got length=" + length
                            + " lo=" + lo + " hi=" + hi);
        }
        return new SdeWindow(length, lo, hi, false, false);
    }

    /**
     * @param schedule where the window lies in each epoch
     * @return MixGRPO's window: each epoch's sampler fixes it ({@link #atEpoch}); sampled directly,
     *     it lies where it does in epoch 0
     */
    public static SdeWindow sliding(SlidingSdeWindow schedule) {
        if (schedule == null) {
            throw new IllegalArgumentException("a sliding window needs its schedule");
        }
        return new SdeWindow(0, 0, 0, false, false, schedule);
    }

    /**
     * @param epoch the epoch, from 0
     * @param steps the rollout's steps
     * @return the window epoch {@code epoch} samples with: a sliding window fixed where it lies
     *     then ({@link SlidingSdeWindow#range}), any other window itself
     */
    public SdeWindow atEpoch(int epoch, int steps) {
        if (sliding == null) {
            return this;
        }
        int[] r = sliding.range(epoch, steps);
        return new SdeWindow(r[1] - r[0], r[0], r[1], false, sharedPrefix);
    }

    /**
     * @return this window with the images of a group sharing their initial noise and deterministic
     *     prefix (the reference's {@code same_latent = True}); on {@link #all()} the prefix is empty
     *     and the group shares its initial noise alone (DanceGRPO's and MixGRPO's
     *     {@code --init_same_noise})
     * @throws IllegalStateException on {@link #none()}, whose images all share one deterministic path
     */
    public SdeWindow withSharedPrefix() {
        if (sliding != null) {
            return new SdeWindow(0, 0, 0, false, true, sliding);
        }
        if (isNone()) {
            throw new IllegalStateException("an ODE rollout has no stochastic step: a group sharing its initial noise "
                    + "would draw one image G times");
        }
        return new SdeWindow(length, lo, hi, everything, true);
    }

    /** @return whether no step is stochastic (an ODE sampler) */
    boolean isNone() {
        return !everything && length == 0 && sliding == null;
    }

    /** @return true when the images of a group share their initial noise and deterministic prefix */
    public boolean sharesPrefix() {
        return sharedPrefix;
    }

    /**
     * @param steps N, the rollout length
     * @param rng draws the start of a random window
     * @return {start, end}: steps {@code start <= i < end} are stochastic
     */
    int[] place(int steps, SeededNoise rng) {
        if (sliding != null) {
            return atEpoch(0, steps).place(steps, rng);
        }
        if (everything) {
            return new int[] {0, steps};
        }
        if (length == 0) {
            return new int[] {0, 0};
        }
        if (hi > steps) {
            throw new IllegalArgumentException("SDE window ends at " + hi + " but the rollout has " + steps + " steps");
        }
        int start = lo + rng.nextInt(hi - length - lo + 1);
        return new int[] {start, start + length};
    }

    @Override
    public String toString() {
        return sliding != null ? "SdeWindow[" + sliding + (sharedPrefix ? ", shared prefix" : "") + "]"
                : everything ? "SdeWindow[all" + (sharedPrefix ? ", shared initial noise" : "") + "]" : length == 0 ? "SdeWindow[none]"
                : "SdeWindow[length=" + length + ", lo=" + lo + ", hi=" + hi + (sharedPrefix ? ", shared prefix" : "") + "]";
    }
}
