package io.diffrl4j.methods.crd;

/**
 * How CRD turns the forward-process errors of the policy and of the moving reference into the
 * implicit reward {@code rho_i} (docs/ALGORITHMS.md 7.2), with {@code e_theta = v_theta(x_t) - u} and
 * {@code e_old = sg(v_old(x_t)) - u}.
 */
public enum ImplicitRewardForm {
    /**
     * The paper's default: each error is divided by the stop-gradient of its own per-sample mean
     * absolute value (floored at 1e-5), {@code rho = -mean_dims(e_theta^2 / sg(max(mean_dims|e_theta|,
     * 1e-5)) - e_old^2 / sg(max(mean_dims|e_old|, 1e-5)))}. Scale-free across noise levels and
     * samples, but no longer a clean estimate of the log-ratio.
     */
    ADAPTIVE,
    /**
     * {@code rho = -mean_dims(e_theta^2 - e_old^2)}: at noise level {@code s} its expectation over the
     * forward noise is a level-dependent multiple of the per-dimension log-ratio {@code log p_theta -
     * log p_old} for exact models (the ELBO difference); the option with a closed-form meaning.
     */
    PLAIN
}
