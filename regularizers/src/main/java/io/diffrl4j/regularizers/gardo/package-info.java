/**
 * GARDO's three parts (docs/ALGORITHMS.md 6: Gated and Adaptive Regularization with
 * Diversity-aware Optimization), each usable on any method with a KL.
 *
 * <ul>
 *   <li>{@link io.diffrl4j.regularizers.gardo.GatedKl}: a method's KL applied only to the samples
 *       whose proxy reward disagrees most with auxiliary rewards
 *       ({@link io.diffrl4j.regularizers.gardo.RewardUncertainty},
 *       {@link io.diffrl4j.regularizers.gardo.GateController}).</li>
 *   <li>{@link io.diffrl4j.regularizers.gardo.AdaptiveReference}: the KL reference is a snapshot of
 *       the policy, renewed when the KL grows past a threshold or after a number of epochs.</li>
 *   <li>{@link io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage}: advantages of good samples
 *       scaled by their distance to the nearest sibling in embedding space.</li>
 * </ul>
 *
 * The {@code methods} module's {@code io.diffrl4j.methods.gardo.Gardo} composes them onto a base
 * method; each part can be left out or replaced by a subclass.
 */
package io.diffrl4j.regularizers.gardo;
