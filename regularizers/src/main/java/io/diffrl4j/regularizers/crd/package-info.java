/**
 * CRD's regularization (docs/ALGORITHMS.md 7.4, 7.5): the KL anchored to the CFG-guided pretrained
 * model ({@link io.diffrl4j.regularizers.crd.CfgAnchoredKl}) and its reward-adaptive strength
 * ({@link io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength},
 * {@link io.diffrl4j.regularizers.crd.KlStrengthMode}). They regularize any method; CRD's objective
 * and recipe live in the {@code methods} module ({@code io.diffrl4j.methods.crd}).
 */
package io.diffrl4j.regularizers.crd;
