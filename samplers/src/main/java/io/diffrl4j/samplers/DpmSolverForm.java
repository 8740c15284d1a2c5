package io.diffrl4j.samplers;

/**
 * What a {@link DpmSolverStep} extrapolates: the model's noise prediction (DPM-Solver, Lu et al.
 * 2022) or its data prediction (DPM-Solver++, Lu et al. 2022b). For a flow model with
 * {@code x = (1 - sigma) x0 + sigma eps} and velocity {@code v = eps - x0}, the predictions are
 * {@code x0 = x - sigma v} and {@code eps = x + (1 - sigma) v}.
 */
public enum DpmSolverForm {
    /** DPM-Solver: multistep in {@code eps}, {@code x_t = (a_t / a_s) x - s_t (e^h - 1) (D0 + D1 / 2)}. */
    NOISE,
    /**
     * DPM-Solver++: multistep in {@code x0}, {@code x_t = (s_t / s_s) x - a_t (e^-h - 1) (D0 + D1 / 2)},
     * the form of DiffusionNFT's {@code solver="dpm2"} ({@code flow_grpo/diffusers_patch/solver.py}).
     */
    DATA
}
