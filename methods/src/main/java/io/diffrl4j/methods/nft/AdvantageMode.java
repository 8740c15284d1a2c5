package io.diffrl4j.methods.nft;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.ScalarMath;

/**
 * DiffusionNFT's {@code train.adv_mode} (train_nft_sd3.py): how the clipped advantage is changed
 * before it becomes the optimality probability {@code r = A / 10 + 0.5}. The reference configs use
 * {@link #ALL}.
 */
public enum AdvantageMode {
    /** The advantage as it is ({@code "all"}). */
    ALL,
    /** {@code clamp(A, 0, clip)}: only better-than-average samples pull ({@code "positive_only"}). */
    POSITIVE_ONLY,
    /** {@code clamp(A, -clip, 0)} ({@code "negative_only"}). */
    NEGATIVE_ONLY,
    /** {@code 1 if A > 0 else 0} ({@code "one_only"}). */
    ONE_ONLY,
    /** {@code sign(A)} ({@code "binary"}). */
    BINARY;

    /**
     * @param advantages the clipped advantages (b)
     * @return the changed advantages, a new array in the same manager
     */
    public NDArray apply(NDArray advantages) {
        switch (this) {
            case POSITIVE_ONLY:
                return ScalarMath.maximum(advantages, 0.0);
            case NEGATIVE_ONLY:
                return ScalarMath.minimum(advantages, 0.0);
            case ONE_ONLY:
                return advantages.gt(0).toType(advantages.getDataType(), false);
            case BINARY:
                return advantages.sign();
            default:
                return advantages.duplicate();
        }
    }
}
