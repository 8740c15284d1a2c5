package io.diffrl4j.samplers;

import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;

/**
 * Flow-GRPO's SDE step with its log-probability (docs/ALGORITHMS.md 2.2, reference {@code
 * sde_step_with_logprob}). With noise level {@code a}:
 *
 * <pre>
 * std_dev_t = a * sqrt(s / (1 - (s == 1 ? sigma(1) : s)))
 * mean      = x (1 + std_dev_t^2 dt / (2 s)) + v (1 + std_dev_t^2 (1 - s) / (2 s)) dt
 * x'        = mean + std_dev_t sqrt(-dt) eps
 * </pre>
 *
 * The stochastic process has the same marginals as the ODE; {@code a = 0} is the Euler step.
 *
 * <p>{@link #constantNoise} is DanceGRPO's form of the same step ({@code flux_step} with
 * {@code sde_solver=True} in XueZeyue/DanceGRPO's {@code train_grpo_flux.py}): {@code std_dev_t = eta}
 * at every step. Its mean, written there as {@code x + dt v - (eta^2 / 2) score dt} with the score
 * {@code -(x - (1 - s) x0_hat) / s^2} and {@code x0_hat = x - s v}, is the mean above with
 * {@code std_dev_t = eta}.
 */
public final class FlowGrpoSdeStep implements SamplerStep {
    private static final double LOG_SQRT_2PI = 0.5 * Math.log(2 * Math.PI);

    private final double noiseLevel;
    private final LogProbReduction reduction;
    private final boolean constant;

    /** Flow-GRPO's SD3.5-Medium default: {@code a = 0.7}, element-mean log-probability. */
    public FlowGrpoSdeStep() {
        this(0.7, LogProbReduction.MEAN);
    }

    /**
     * @param noiseLevel {@code a}, at least 0
     * @param reduction how the element-wise log-density is reduced per sample
     */
    public FlowGrpoSdeStep(double noiseLevel, LogProbReduction reduction) {
        this(noiseLevel, reduction, false);
    }

    private FlowGrpoSdeStep(double noiseLevel, LogProbReduction reduction, boolean constant) {
        if (!(noiseLevel >= 0) || Double.isInfinite(noiseLevel)) {
            throw new IllegalArgumentException("noiseLevel must be finite and >= 0, got " + noiseLevel);
        }
        this.noiseLevel = noiseLevel;
        this.reduction = reduction;
        this.constant = constant;
    }

    /**
     * DanceGRPO's SDE step: {@code std_dev_t = eta} on every step (its scripts: {@code --eta 0.3}),
     * element-mean log-probabilities as in its {@code flux_step}.
     *
     * @param eta the constant {@code std_dev_t}, finite and {@code >= 0}
     * @return the step
     */
    public static FlowGrpoSdeStep constantNoise(double eta) {
        return new FlowGrpoSdeStep(eta, LogProbReduction.MEAN, true);
    }

    /** @return whether {@code std_dev_t} is the noise level itself at every step (DanceGRPO's form) */
    public boolean isConstantNoise() {
        return constant;
    }

    /** @return how a sample's per-element log-probabilities are reduced */
    public LogProbReduction reduction() {
        return reduction;
    }

    /** @return the noise level {@code a} */
    public double noiseLevel() {
        return noiseLevel;
    }

    /**
     * @return {@code std_dev_t} of step i: the noise level for {@link #constantNoise}, else Flow-GRPO's
     *     {@code a sqrt(s / (1 - s))} (the guard at {@code s = 1} uses {@code sigma(1)})
     */
    public double stdDev(InferenceSchedule schedule, int i) {
        if (constant) {
            return noiseLevel;
        }
        double s = schedule.sigma(i);
        double denominator = 1 - (s == 1.0 ? schedule.sigma(1) : s);
        return noiseLevel * Math.sqrt(s / denominator);
    }

    @Override
    public StepResult sample(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray noise) {
        double std = stdDev(schedule, i);
        double noiseStd = std * Math.sqrt(-schedule.dt(i));
        NDArray mean = mean(x, v, schedule, i, std);
        NDArray next = noiseStd == 0 ? mean : mean.add(noise.mul(noiseStd));
        return new StepResult(next, mean, logProb(next, mean, noiseStd), std, noiseStd);
    }

    @Override
    public StepResult evaluate(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray next) {
        double std = stdDev(schedule, i);
        double noiseStd = std * Math.sqrt(-schedule.dt(i));
        NDArray mean = mean(x, v, schedule, i, std);
        return new StepResult(next, mean, logProb(next, mean, noiseStd), std, noiseStd);
    }

    @Override
    public String toString() {
        return (constant ? "FlowGrpoSdeStep[constant std_dev_t=" : "FlowGrpoSdeStep[a=") + noiseLevel + ", " + reduction + "]";
    }

    @Override
    public boolean isStochastic() {
        return noiseLevel > 0;
    }

    private static NDArray mean(NDArray x, NDArray v, InferenceSchedule schedule, int i, double std) {
        double s = schedule.sigma(i);
        double dt = schedule.dt(i);
        double xCoefficient = 1 + std * std / (2 * s) * dt;
        double vCoefficient = (1 + std * std * (1 - s) / (2 * s)) * dt;
        return ScalarMath.mul(x, xCoefficient).add(ScalarMath.mul(v, vCoefficient));
    }

    private NDArray logProb(NDArray next, NDArray mean, double noiseStd) {
        if (noiseStd == 0) {
            return null;
        }
        NDArray diff = next.stopGradient().sub(mean);
        NDArray elementwise = ScalarMath.div(diff.square(), -2 * noiseStd * noiseStd).sub(Math.log(noiseStd) + LOG_SQRT_2PI);
        return reduction.reduce(elementwise);
    }
}
