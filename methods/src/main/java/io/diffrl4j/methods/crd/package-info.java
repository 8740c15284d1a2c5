/**
 * CRD, Centered Reward Distillation (docs/ALGORITHMS.md 7): the centred reward-matching objective
 * ({@link io.diffrl4j.methods.crd.CrdObjective}, its arithmetic in
 * {@link io.diffrl4j.methods.crd.CenteredRewardMatching}), the KL anchored to the CFG-guided
 * pretrained model ({@link io.diffrl4j.regularizers.crd.CfgAnchoredKl}) with a reward-adaptive
 * strength ({@link io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength}), and the
 * {@link io.diffrl4j.methods.crd.Crd} method factory, which decouples the sampler snapshot from
 * the moving reference through the method's sampling set and two EMA schedules.
 */
package io.diffrl4j.methods.crd;
