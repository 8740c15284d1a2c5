package io.diffrl4j.regularizers.crd;

import io.diffrl4j.core.advantage.NormalisedReward;
import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.reward.RewardBatch;

/**
 * CRD's reward-adaptive KL strength (docs/ALGORITHMS.md 7.5): high-reward samples, where reward-model
 * loopholes get exploited late in training, are held close to the anchor; low-reward ones nearly
 * not at all, which lets early learning move fast.
 *
 * <ul>
 *   <li>{@linkplain #perSample per sample} (the paper): {@code lambda_i = floor + (beta - floor) *
 *       r~_i} with {@code r~_i = clip(A_i / 5 / 2 + 0.5, 0, 1)} from the batch's advantages; returns
 *       a (b) array.
 *   <li>{@linkplain #perBatch per batch}: {@code lambda = floor + (beta - floor) * clip(mean_i
 *       r_i, 0, 1)} with {@code r_i} the RAW proxy reward of the micro-batch's rows (read from
 *       {@link MicroBatch#rewards()} at {@link MicroBatch#rows()}; for a micro-batch that holds part
 *       of a group, the rows of its whole group, {@link MicroBatch#groups()}, so that cutting a group
 *       into parts does not change its coefficient); returns a scalar. The mapping
 *       assumes a proxy reward that lives in [0, 1], as the OCR and GenEval rewards do; rewards on
 *       another scale saturate at {@code floor} or {@code beta}.
 * </ul>
 *
 * <p>The coefficients carry no gradient. The arrays belong to the manager that currently owns
 * {@code batch.advantages()} (the trainer's per-pass scope during training). Immutable.
 */
public final class RewardAdaptiveKlStrength implements KlStrength {
    private final double beta;
    private final double floor;
    private final boolean perSample;

    private RewardAdaptiveKlStrength(double beta, double floor, boolean perSample) {
        if (!(beta >= 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
        }
        if (!(floor >= 0 && floor <= beta)) {
            throw new IllegalArgumentException("klFloor must be in [0, beta = " + beta + "], got " + floor);
        }
        this.beta = beta;
        this.floor = floor;
        this.perSample = perSample;
    }

    /**
     * @param beta the coefficient at {@code r~ = 1} (paper 0.1), finite and {@code >= 0}
     * @param floor the coefficient at {@code r~ = 0} (paper 1e-4), in [0, beta]
     * @return the paper's per-sample strength
     */
    public static RewardAdaptiveKlStrength perSample(double beta, double floor) {
        return new RewardAdaptiveKlStrength(beta, floor, true);
    }

    /**
     * @param beta the coefficient at a mean raw reward of 1, finite and {@code >= 0}
     * @param floor the coefficient at a mean raw reward of 0, in [0, beta]
     * @return the per-batch strength from the mean raw proxy reward
     */
    public static RewardAdaptiveKlStrength perBatch(double beta, double floor) {
        return new RewardAdaptiveKlStrength(beta, floor, false);
    }

    /** @return the coefficient at full reward */
    public double beta() {
        return beta;
    }

    /** @return this strength with another coefficient at full reward, the same floor and form */
    @Override
    public RewardAdaptiveKlStrength withBeta(double newBeta) {
        return new RewardAdaptiveKlStrength(newBeta, floor, perSample);
    }

    /** @return the coefficient at zero reward */
    public double floor() {
        return floor;
    }

    /** @return true for one coefficient per sample, false for one per micro-batch */
    public boolean isPerSample() {
        return perSample;
    }

    @Override
    public NDArray coefficients(MicroBatch batch) {
        NDArray advantages = batch.advantages().stopGradient();
        if (perSample) {
            NDArray r = NormalisedReward.of(advantages);
            return ScalarMath.mul(r, beta - floor).add((float) floor);
        }
        return advantages.getManager().create((float) (floor + (beta - floor) * clip01(meanRawReward(batch))));
    }

    /**
     * @param batch a micro-batch whose {@link MicroBatch#rewards()} is set
     * @return the mean raw proxy reward over the rows of its whole groups
     */
    static double meanRawReward(MicroBatch batch) {
        RewardBatch rewards = batch.rewards();
        if (rewards == null) {
            throw new IllegalStateException("the per-batch KL strength reads the raw proxy reward, but the micro-batch "
                    + "carries no RewardBatch");
        }
        double[] proxy = rewards.proxy();
        int[] rows = batch.groups().rows();
        double sum = 0;
        for (int row : rows) {
            sum += proxy[row];
        }
        return rows.length == 0 ? 0 : sum / rows.length;
    }

    private static double clip01(double v) {
        return Math.max(0, Math.min(1, v));
    }

    @Override
    public String toString() {
        return "RewardAdaptiveKlStrength{" + (perSample ? "per-sample" : "per-batch") + ", beta=" + beta + ", floor="
                + floor + "}";
    }
}
