/**
 * Several rewards at once, the two ways users of Flow-GRPO and its successors mix them: {@link
 * io.diffrl4j.rewards.mix.WeightedRewardSum} (one proxy, the weighted sum of raw scores, as
 * Flow-GRPO's multi-reward config) and {@link io.diffrl4j.core.advantage.WeightedAdvantageSum} (an
 * advantage estimator, so it lives in core; {@code WeightedRewardSum.advantages()} makes one from the
 * same weights: each reward normalised within its group first, then the advantages summed with
 * weights, as MixGRPO and Flow-Factory's option). GARDO's gate names its auxiliary rewards in its own config; the parts
 * of a mixed proxy are never counted among them.
 */
package io.diffrl4j.rewards.mix;
