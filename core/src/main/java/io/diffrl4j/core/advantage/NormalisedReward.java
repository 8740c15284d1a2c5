package io.diffrl4j.core.advantage;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.ScalarMath;

/**
 * The advantage mapped into [0, 1]: {@code r~ = clip(A / (2 * 5) + 1/2, 0, 1)}, with 5 the advantage
 * clip of the group-relative estimators. DiffusionNFT reads it as the optimality probability and CRD
 * as the normalised reward its implicit reward is matched to and its KL strength adapts to.
 */
public final class NormalisedReward {
    /** The advantage clip the normalised reward divides by (Flow-GRPO's, {@code A in [-5, 5]}). */
    public static final double CLIP = 5.0;

    private NormalisedReward() {}

    /**
     * @param advantages per-sample advantages (b), clipped to [-5, 5] by the estimator
     * @return {@code r~ = clip(A / 5 / 2 + 0.5, 0, 1)} (b), no gradient, in the advantages' manager
     */
    public static NDArray of(NDArray advantages) {
        return ScalarMath.div(advantages.stopGradient(), CLIP * 2).add(0.5f).clip(0f, 1f);
    }
}
