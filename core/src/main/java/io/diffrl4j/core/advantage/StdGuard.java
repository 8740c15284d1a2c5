package io.diffrl4j.core.advantage;

/**
 * How a group-relative advantage keeps its divisor away from zero: Flow-GRPO's and DiffusionNFT's
 * {@code (r - mean) / (std + eps)} with {@code eps = 1e-4}, or Flow-Factory's (CRD)
 * {@code (r - mean) / max(std, eps)} with {@code eps = 1e-6}.
 */
public enum StdGuard {
    /** {@code std + eps}. */
    ADD,
    /** {@code max(std, eps)}. */
    FLOOR;

    /**
     * @param std a standard deviation
     * @param eps the guard
     * @return the divisor
     */
    public double divisor(double std, double eps) {
        return this == ADD ? std + eps : Math.max(std, eps);
    }
}
