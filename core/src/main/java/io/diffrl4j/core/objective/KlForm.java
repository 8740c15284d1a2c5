package io.diffrl4j.core.objective;

/**
 * Which variance the trajectory KL divides by (docs/ALGORITHMS.md 4). For forward-process objectives
 * (velocity predictions) both forms are the plain mean squared difference.
 */
public enum KlForm {
    /** The reference code: {@code (mean_theta - mean_ref)^2 / (2 std_dev_t^2)}. */
    CODE,
    /** The paper: {@code (mean_theta - mean_ref)^2 / (2 std_dev_t^2 |dt|)}, the true Gaussian KL. */
    PAPER
}
