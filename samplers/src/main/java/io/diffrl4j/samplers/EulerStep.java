package io.diffrl4j.samplers;

import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.InferenceSchedule;

/** The deterministic Euler step of the probability-flow ODE: {@code x' = x + dt v}. */
public final class EulerStep implements SamplerStep {
    @Override
    public StepResult sample(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray noise) {
        NDArray next = x.add(ScalarMath.mul(v, schedule.dt(i)));
        return new StepResult(next, next, null, 0.0, 0.0);
    }

    @Override
    public StepResult evaluate(NDArray x, NDArray v, InferenceSchedule schedule, int i, NDArray next) {
        return new StepResult(next, x.add(ScalarMath.mul(v, schedule.dt(i))), null, 0.0, 0.0);
    }

    @Override
    public boolean isStochastic() {
        return false;
    }
}
