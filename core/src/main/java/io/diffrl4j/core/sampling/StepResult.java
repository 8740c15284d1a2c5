package io.diffrl4j.core.sampling;

import ai.djl.ndarray.NDArray;

/**
 * What one sampler step produced: the next sample, the mean of its Gaussian transition, the
 * log-probability of the next sample under that Gaussian, and the noise scales.
 *
 * <p>{@code next} and {@code mean} have the shape of the step's input (B, ...); {@code logProb} has
 * shape (B) and is null for deterministic steps. The arrays belong to the manager of the step's
 * input {@code x} (DJL's rule: results follow the first operand).
 *
 * @param next the sample at the next noise level
 * @param mean the transition mean (differentiable w.r.t. the velocity)
 * @param logProb per-sample log-density of {@code next}, or null when the step is deterministic
 * @param stdDev the step's {@code std_dev_t} (docs/ALGORITHMS.md 2.2, without {@code sqrt(-dt)})
 * @param noiseStd the standard deviation of the Gaussian transition actually applied
 */
public record StepResult(NDArray next, NDArray mean, NDArray logProb, double stdDev, double noiseStd) {}
