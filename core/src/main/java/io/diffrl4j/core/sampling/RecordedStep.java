package io.diffrl4j.core.sampling;

import ai.djl.ndarray.NDArray;

/**
 * One stochastic step of a rollout, kept for trajectory objectives (Flow-GRPO): the input at
 * {@code sigma} and what the sampling policy's step made of it (the output at {@code sigmaNext},
 * the transition's mean and log-probability).
 *
 * @param index the step index i in the schedule
 * @param sigma the noise level of {@code x}
 * @param sigmaNext the noise level of {@code next}
 * @param x the step's input (B, ...)
 * @param result the sampling policy's step: next (B, ...), mean (B, ...), log-probability (B), stds
 */
public record RecordedStep(int index, double sigma, double sigmaNext, NDArray x, StepResult result) {
    /** Requires a stochastic result: a recorded step is one a trajectory objective can re-score. */
    public RecordedStep {
        if (x == null || result == null || result.logProb() == null) {
            throw new IllegalArgumentException("a recorded step needs its input and a stochastic result with a log-probability");
        }
    }

    /** @return the step's output (B, ...) */
    public NDArray next() {
        return result.next();
    }

    /** @return the sampling policy's log-probability of {@code next}, shape (B) */
    public NDArray logProb() {
        return result.logProb();
    }

    /** @return the sampling policy's transition mean (B, ...) */
    public NDArray mean() {
        return result.mean();
    }

    /** @return the step's {@code std_dev_t} */
    public double stdDev() {
        return result.stdDev();
    }
}
