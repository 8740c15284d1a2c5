package io.diffrl4j.core.advantage;

import io.diffrl4j.core.reward.RewardBatch;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * MixGRPO's and Flow-Factory's multi-reward advantage: each named reward is turned into a
 * group-relative advantage on its own ({@code (r - mean_group r) / (std_group r + 1e-4)}, clipped
 * to [-clip, clip]), then {@code A_i = sum_k w_k A_k,i}. A reward with a large scale thus cannot
 * drown the others, which a weighted sum of raw scores allows. The rewards are read by name from
 * the {@link RewardBatch}, so each must be scored by the trainer: the parts of a weighted-sum
 * proxy ({@code WeightedRewardSum.advantages()} in the rewards module builds this estimator from
 * its weights), or the proxy and auxiliary rewards. Immutable and thread-safe.
 */
public final class WeightedAdvantageSum implements AdvantageEstimator {
    private final Map<String, Double> weights;
    private final GroupRelativeAdvantage perReward;

    /**
     * Per-group std and clip 5, as MixGRPO normalises each reward.
     *
     * @param weights reward name to finite, non-zero weight, at least one
     */
    public WeightedAdvantageSum(Map<String, Double> weights) {
        this(weights, new GroupRelativeAdvantage(false, 5.0));
    }

    /**
     * @param weights reward name to finite, non-zero weight, at least one
     * @param perReward how each reward alone becomes an advantage
     */
    public WeightedAdvantageSum(Map<String, Double> weights, GroupRelativeAdvantage perReward) {
        if (weights.isEmpty()) {
            throw new IllegalArgumentException("a weighted advantage sum needs at least one reward");
        }
        weights.forEach((n, w) -> {
            if (w == null || !Double.isFinite(w) || w == 0) {
                throw new IllegalArgumentException("weight of '" + n + "' must be finite and non-zero, got " + w);
            }
        });
        this.weights = new LinkedHashMap<>(weights);
        this.perReward = perReward;
    }

    /** @return reward name to weight, in order */
    public Map<String, Double> weights() {
        return java.util.Collections.unmodifiableMap(weights);
    }

    @Override
    public double[] estimate(RewardBatch rewards) {
        double[] out = new double[rewards.size()];
        for (Map.Entry<String, Double> e : weights.entrySet()) {
            if (!rewards.names().contains(e.getKey())) {
                throw new IllegalArgumentException("the advantage mixes reward '" + e.getKey() + "', which was not scored; the "
                        + "trainer scored " + rewards.names());
            }
            RewardBatch alone = new RewardBatch(e.getKey(), Map.of(e.getKey(), rewards.get(e.getKey())), null,
                    rewards.prompts(), rewards.groupSize());
            double[] a = perReward.estimate(alone);
            for (int i = 0; i < out.length; i++) {
                out[i] += e.getValue() * a[i];
            }
        }
        return out;
    }
}
