package io.diffrl4j.core.sampling;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;

/**
 * One rule for moving a sample from {@code schedule.sigma(i)} to {@code schedule.sigma(i + 1)},
 * given the model's velocity there (diffusers' scheduler {@code step}, one class per rule).
 *
 * <p>{@link #sample} draws the next sample; {@link #evaluate} re-scores a recorded next sample
 * under a (possibly different) velocity, which is how trajectory objectives obtain the current
 * policy's log-probability of an old rollout. All inputs have shape (B, ...); see
 * {@link StepResult} for the outputs and their ownership. Implementations are immutable, except the
 * per-rollout instances {@link #forRollout()} may return.
 */
public interface SamplerStep {
    /**
     * @param x the current sample (B, ...)
     * @param v the (guided) velocity at x
     * @param schedule the noise levels
     * @param i the step index, in [0, N)
     * @param noise standard normal noise of x's shape (ignored by deterministic steps)
     * @return the step's result, with {@code next} drawn from the transition
     */
    StepResult sample(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray noise);

    /**
     * @param x the current sample (B, ...)
     * @param v the velocity at x (gradients flow through it into {@code mean} and {@code logProb})
     * @param schedule the noise levels
     * @param i the step index, in [0, N)
     * @param next a recorded next sample; treated as a constant
     * @return the result with {@code next} as given and its log-probability under this transition
     */
    StepResult evaluate(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray next);

    /**
     * A step for one rollout: the instance a sampler steps through {@code i = 0, 1, ...} in order.
     * Single-step rules return themselves; multistep solvers (DPM-Solver) return a fresh instance
     * that remembers the previous step's prediction.
     *
     * @return the step to use for one rollout
     */
    default SamplerStep forRollout() {
        return this;
    }

    /** @return true when the step injects noise (and so has a log-probability) */
    boolean isStochastic();
}
