package io.diffrl4j.samplers;

import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;

/**
 * Coefficients-Preserving Sampling (docs/ALGORITHMS.md 2.3): predicts the clean sample and the noise,
 * then re-mixes them at the next level so the signal and noise coefficients stay those of the
 * forward process, injecting {@code std_dev_t = s' sin(a pi / 2)} of fresh noise. Its log-probability
 * drops the constants ({@code -mean_dims((x' - mean)^2)}), as the reference code does.
 */
public final class CpsStep implements SamplerStep {
    private final double noiseLevel;
    private final LogProbReduction reduction;

    /** @param noiseLevel {@code a} in [0, 1] */
    public CpsStep(double noiseLevel) {
        this(noiseLevel, LogProbReduction.MEAN);
    }

    /**
     * @param noiseLevel {@code a} in [0, 1]
     * @param reduction how the element-wise log-density is reduced per sample
     */
    public CpsStep(double noiseLevel, LogProbReduction reduction) {
        if (!(noiseLevel >= 0 && noiseLevel <= 1)) {
            throw new IllegalArgumentException("noiseLevel must be in [0, 1], got " + noiseLevel);
        }
        this.noiseLevel = noiseLevel;
        this.reduction = reduction;
    }

    /** @return {@code std_dev_t} of step i */
    public double stdDev(InferenceSchedule schedule, int i) {
        return schedule.sigma(i + 1) * Math.sin(noiseLevel * Math.PI / 2);
    }

    @Override
    public StepResult sample(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray noise) {
        double std = stdDev(schedule, i);
        NDArray mean = mean(x, v, schedule, i, std);
        NDArray next = std == 0 ? mean : mean.add(noise.mul(std));
        return new StepResult(next, mean, logProb(next, mean, std), std, std);
    }

    @Override
    public StepResult evaluate(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray next) {
        double std = stdDev(schedule, i);
        NDArray mean = mean(x, v, schedule, i, std);
        return new StepResult(next, mean, logProb(next, mean, std), std, std);
    }

    @Override
    public boolean isStochastic() {
        return noiseLevel > 0;
    }

    private NDArray logProb(NDArray next, NDArray mean, double std) {
        if (std == 0) {
            return null;
        }
        return reduction.reduce(next.stopGradient().sub(mean).square().neg());
    }

    private static NDArray mean(NDArray x, NDArray v, InferenceSchedule schedule, int i, double std) {
        double s = schedule.sigma(i);
        double sNext = schedule.sigma(i + 1);
        NDArray x0 = x.sub(ScalarMath.mul(v, s));
        NDArray x1 = x.add(ScalarMath.mul(v, 1 - s));
        double noiseCoefficient = Math.sqrt(Math.max(0, sNext * sNext - std * std));
        return ScalarMath.mul(x0, 1 - sNext).add(ScalarMath.mul(x1, noiseCoefficient));
    }
}
