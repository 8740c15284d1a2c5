package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.advantage.AdvantageEstimator;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.Optional;

/**
 * GARDO's diversity-aware advantage (docs/ALGORITHMS.md 6.3). Per prompt group of G images, with
 * L2-normalised image embeddings {@code f_i}:
 *
 * <pre>
 * D_ij = 1 - clip(f_i . f_j, -1, 1)
 * d_i  = min_{j != i} D_ij                               distance to the nearest neighbour in the group
 * d~_i = r_i >= mean_group r ? d_i / mean_group(d) : 1
 * A_i  = clip((r_i - mean_group r) * d~_i, -clip, clip)   no std division
 * </pre>
 *
 * Only samples at or above their group's mean reward are reweighted, so a good image that is
 * unlike its siblings gets a larger advantage and a good near-duplicate a smaller one; negative
 * advantages are untouched.
 *
 * <p>Guards (documented deviations from the bare formula, which would divide by zero): when every
 * image of a group has distance 0 to its nearest neighbour ({@code mean_group(d) == 0}: the group
 * is all duplicates) or the group has a single image, every multiplier is 1. An all-zero
 * embedding normalises to the zero vector (cosine similarity 0 to everything, distance 1).
 *
 * <p>The embeddings come from {@link #embedder()}, which the trainer runs while scoring (paper:
 * DINOv3 ViT-L/16 features of the decoded images; {@code io.diffrl4j.rewards.embed} has a
 * weight-free one). Stateless apart from the embedder; override {@link #distances} or
 * {@link #multipliers} to change the shaping.
 */
public class DiversityAwareAdvantage implements AdvantageEstimator {
    /** GARDO's advantage clip. */
    public static final double DEFAULT_CLIP = 5.0;

    private final ImageEmbedder embedder;
    private final double clip;
    private final boolean batchStd;

    /** @param embedder the image features the shaping reads (run by the trainer while scoring) */
    public DiversityAwareAdvantage(ImageEmbedder embedder) {
        this(embedder, DEFAULT_CLIP);
    }

    /**
     * @param embedder the image features the shaping reads
     * @param clip advantages are clipped to [-clip, clip]; finite and positive
     */
    public DiversityAwareAdvantage(ImageEmbedder embedder, double clip) {
        this(embedder, clip, false);
    }

    /**
     * @param embedder the image features the shaping reads
     * @param clip advantages are clipped to [-clip, clip]; finite and positive
     * @param batchStd also divide by the batch's reward std + 1e-4, as Flow-GRPO's advantage does (an
     *     ablation: GARDO's code does not, so its advantages are on the reward's own scale)
     */
    public DiversityAwareAdvantage(ImageEmbedder embedder, double clip, boolean batchStd) {
        if (embedder == null) {
            throw new IllegalArgumentException("embedder must not be null");
        }
        if (!(clip > 0) || Double.isInfinite(clip)) {
            throw new IllegalArgumentException("clip must be finite and > 0, got " + clip);
        }
        this.embedder = embedder;
        this.clip = clip;
        this.batchStd = batchStd;
    }

    /** @return whether the advantage is divided by the batch's reward std + 1e-4 (not GARDO's rule) */
    public boolean batchStd() {
        return batchStd;
    }

    /** @return the advantage clip */
    public double clip() {
        return clip;
    }

    @Override
    public Optional<ImageEmbedder> embedder() {
        return Optional.of(embedder);
    }

    @Override
    public double[] estimate(RewardBatch rewards) {
        float[][] features = rewards.embeddings();
        if (features == null) {
            throw new IllegalStateException("the diversity-aware advantage needs image embeddings, but the reward batch "
                    + "has none (the trainer runs embedder() while scoring; was this batch built by hand?)");
        }
        double[] r = rewards.proxy();
        int g = rewards.groupSize();
        double divisor = batchStd ? std(r) + GroupRelativeAdvantage.DEFAULT_EPS : 1.0;
        double[] a = new double[r.length];
        for (int start = 0; start < r.length; start += g) {
            double[][] unit = new double[g][];
            double[] groupRewards = new double[g];
            for (int i = 0; i < g; i++) {
                unit[i] = normalise(features[start + i]);
                groupRewards[i] = r[start + i];
                if (unit[i].length != unit[0].length) {
                    throw new IllegalStateException("embeddings of one group differ in length: " + unit[0].length + " and "
                            + unit[i].length);
                }
            }
            double[] d = distances(unit);
            double[] mult = multipliers(groupRewards, d);
            double mean = mean(groupRewards);
            for (int i = 0; i < g; i++) {
                double v = (groupRewards[i] - mean) * mult[i] / divisor;
                a[start + i] = Math.max(-clip, Math.min(clip, v));
            }
        }
        return a;
    }

    /** Population std, as the reference code's numpy. */
    private static double std(double[] v) {
        double m = mean(v);
        double s = 0;
        for (double x : v) {
            s += (x - m) * (x - m);
        }
        return Math.sqrt(s / v.length);
    }

    /**
     * @param unit one group's L2-normalised embeddings (G x dim)
     * @return {@code d_i = min_{j != i} (1 - clip(f_i . f_j, -1, 1))}; 0 for a group of one
     */
    protected double[] distances(double[][] unit) {
        int g = unit.length;
        double[] d = new double[g];
        for (int i = 0; i < g; i++) {
            double best = g == 1 ? 0 : Double.POSITIVE_INFINITY;
            for (int j = 0; j < g; j++) {
                if (j != i) {
                    best = Math.min(best, 1 - Math.max(-1, Math.min(1, dot(unit[i], unit[j]))));
                }
            }
            d[i] = best;
        }
        return d;
    }

    /**
     * @param rewards one group's proxy rewards
     * @param distances the group's nearest-neighbour distances
     * @return {@code d~_i}: {@code d_i / mean(d)} at or above the group's mean reward, 1 below it;
     *     all 1 when {@code mean(d) == 0}
     */
    protected double[] multipliers(double[] rewards, double[] distances) {
        double meanReward = mean(rewards);
        double meanDistance = mean(distances);
        double[] m = new double[rewards.length];
        for (int i = 0; i < m.length; i++) {
            m[i] = rewards[i] >= meanReward && meanDistance > 0 ? distances[i] / meanDistance : 1.0;
        }
        return m;
    }

    /**
     * @param v a feature vector
     * @return {@code v / |v|} in double precision; the zero vector (and a vector whose norm is not
     *     finite) becomes the zero vector
     */
    public static double[] normalise(float[] v) {
        double norm = 0;
        for (float x : v) {
            norm += (double) x * x;
        }
        norm = Math.sqrt(norm);
        double[] out = new double[v.length];
        if (norm > 0 && Double.isFinite(norm)) {
            for (int i = 0; i < v.length; i++) {
                out[i] = v[i] / norm;
            }
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += a[i] * b[i];
        }
        return s;
    }

    private static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }
}
