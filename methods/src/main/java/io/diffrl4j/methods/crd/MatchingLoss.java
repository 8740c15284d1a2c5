package io.diffrl4j.methods.crd;

/**
 * How CRD compares the centred implicit reward {@code beta Pc_i} with the centred external reward
 * {@code Rc_i} (docs/ALGORITHMS.md 7.3). Both are minimised where {@code beta Pc_i = Rc_i} for every sample.
 */
public enum MatchingLoss {
    /** The default: {@code mean_i (beta Pc_i - Rc_i)^2 * 5 / beta}. */
    MSE,
    /** {@code BCEWithLogits(beta Pc_i, sigmoid(Rc_i)) * 5 / beta}, averaged over samples. */
    BCE
}
