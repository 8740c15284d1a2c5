/**
 * GARDO (docs/ALGORITHMS.md 6): Gated and Adaptive Regularization with Diversity-aware Optimization, as
 * three composable strategies on top of Flow-GRPO or DiffusionNFT.
 *
 * <ul>
 *   <li>{@link io.diffrl4j.regularizers.gardo.GatedKl}: the base algorithm's KL applied only to the
 *       samples whose proxy reward disagrees most with auxiliary rewards
 *       ({@link io.diffrl4j.regularizers.gardo.RewardUncertainty},
 *       {@link io.diffrl4j.regularizers.gardo.GateController}).</li>
 *   <li>{@link io.diffrl4j.regularizers.gardo.AdaptiveReference}: the KL reference is a snapshot of
 *       the policy, renewed when the KL grows past a threshold or after a number of epochs.</li>
 *   <li>{@link io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage}: advantages of good samples
 *       scaled by their distance to the nearest sibling in embedding space.</li>
 * </ul>
 *
 * {@link io.diffrl4j.regularizers.gardo.Gardo} composes them into a
 * {@link io.diffrl4j.core.method.Method}; each part can be switched off or replaced by a subclass.
 */
package io.diffrl4j.regularizers.gardo;
