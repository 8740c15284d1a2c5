package io.diffrl4j.samplers;

import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.core.sampling.StepResult;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import java.util.ArrayList;
import java.util.List;

/**
 * Draws rollouts of P prompts x G images from a flow model: deterministic ODE steps (Euler by
 * default, or a {@link DpmSolverStep}) outside the {@link SdeWindow}, the configured stochastic {@link SamplerStep} inside it, classifier-free
 * guidance at every step, and a record of the stochastic steps that trajectory objectives train on
 * (those with index below {@code floor(N * trainFraction)}).
 *
 * <p>Defaults are Flow-GRPO's SD3.5-Medium training rollouts: 10 steps, shift 3, guidance 4.5,
 * {@link FlowGrpoSdeStep} with {@code a = 0.7} on every step, 9 of 10 steps recorded. Immutable and
 * thread-safe; the model it drives is not.
 */
public final class TrajectorySampler implements Sampler {
    private final int steps;
    private final double shift;
    private final double guidanceScale;
    private final SamplerStep stochasticStep;
    private final SamplerStep odeStep;
    private final SdeWindow window;
    private final double trainFraction;

    private TrajectorySampler(Builder b) {
        this.steps = b.steps;
        this.shift = b.shift;
        this.guidanceScale = b.guidanceScale;
        this.stochasticStep = b.stochasticStep;
        this.odeStep = b.odeStep;
        this.window = b.window;
        this.trainFraction = b.trainFraction;
    }

    /** @return a builder with Flow-GRPO's defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the schedule this sampler walks */
    public InferenceSchedule schedule() {
        return InferenceSchedule.of(steps, shift);
    }

    @Override
    public double guidanceScale() {
        return guidanceScale;
    }

    @Override
    public SamplerStep stochasticStep() {
        return stochasticStep;
    }

    /** @return this sampler with its window fixed where it lies in that epoch (a sliding window moves) */
    @Override
    public TrajectorySampler atEpoch(int epoch) {
        SdeWindow fixed = window.atEpoch(epoch, steps);
        return fixed == window ? this : toBuilder().optWindow(fixed).build();
    }

    /** @return which steps are stochastic (and trained) */
    public SdeWindow window() {
        return window;
    }

    /** @return the deterministic rule outside the SDE window (default Euler) */
    public SamplerStep odeStep() {
        return odeStep;
    }

    @Override
    public Rollout sample(
            NDManager out,
            FlowModel model,
            Conditioning prompts,
            Conditioning uncond,
            int groupSize,
            Shape sampleShape,
            SeededNoise rng) {
        if (groupSize < 1) {
            throw new IllegalArgumentException("groupSize must be >= 1, got " + groupSize);
        }
        InferenceSchedule schedule = schedule();
        int[] sde = window.place(steps, rng);
        int recordEnd = (int) Math.floor(steps * trainFraction);
        // A shared prefix runs on one row per prompt and fans out to G rows where the window opens.
        boolean fannedOut = !window.sharesPrefix();
        List<RecordedStep> recorded = new ArrayList<>();
        SamplerStep stochasticRule = stochasticStep.forRollout();
        SamplerStep odeRule = odeStep.forRollout();
        try (NDManager work = out.newSubManager()) {
            Conditioning cond = fannedOut ? prompts.repeatEach(groupSize, work) : prompts;
            Conditioning unc = uncond == null || !fannedOut ? uncond : uncond.repeatEach(groupSize, work);
            int rows = prompts.batchSize() * (fannedOut ? groupSize : 1);
            NDArray x = rng.normal(out, new Shape(rows).addAll(sampleShape));
            boolean xReferenced = false;
            for (int i = 0; i < steps; i++) {
                if (!fannedOut && i == sde[0]) {
                    NDArray expanded = x.repeat(0, groupSize);
                    x.close();
                    x = expanded;
                    cond = prompts.repeatEach(groupSize, work);
                    unc = uncond == null ? null : uncond.repeatEach(groupSize, work);
                    fannedOut = true;
                }
                boolean stochastic = i >= sde[0] && i < sde[1] && stochasticStep.isStochastic();
                SamplerStep rule = stochastic ? stochasticRule : odeRule;
                boolean record = stochastic && i < recordEnd;
                NDArray next;
                try (NDManager scratch = out.newSubManager()) {
                    scratch.tempAttachAll(x);
                    long batch = x.getShape().get(0);
                    NDArray sigma = scratch.full(new Shape(batch), (float) schedule.sigma(i));
                    NDArray v = Guidance.velocity(model, x, sigma, cond, unc, guidanceScale);
                    NDArray noise = stochastic ? rng.normal(scratch, x.getShape()) : null;
                    StepResult result = rule.sample(x, v, schedule, i, noise);
                    next = result.next();
                    next.attach(out);
                    if (record) {
                        result.mean().attach(out);
                        result.logProb().attach(out);
                        recorded.add(new RecordedStep(i, schedule.sigma(i), schedule.sigma(i + 1), x,
                                new StepResult(next, result.mean(), result.logProb(), result.stdDev(), result.noiseStd())));
                    }
                }
                if (!record && !xReferenced) {
                    x.close();
                }
                xReferenced = record;
                x = next;
            }
            if (!fannedOut) {
                NDArray expanded = x.repeat(0, groupSize);
                x.close();
                x = expanded;
            }
            return new Rollout(x, List.copyOf(recorded), schedule, groupSize);
        }
    }

    /** @return a builder holding this sampler's settings */
    public Builder toBuilder() {
        return builder().optSteps(steps).optShift(shift).optGuidanceScale(guidanceScale).optStochasticStep(stochasticStep)
                .optOdeStep(odeStep).optWindow(window).optTrainFraction(trainFraction);
    }

    /** Builder; every setting is validated by {@link #build()}. */
    public static final class Builder {
        private int steps = 10;
        private double shift = 3.0;
        private double guidanceScale = 4.5;
        private SamplerStep stochasticStep = new FlowGrpoSdeStep();
        private SamplerStep odeStep = new EulerStep();
        private SdeWindow window = SdeWindow.all();
        private double trainFraction = 0.99;

        private Builder() {}

        /** @param steps N, rollout length (default 10) @return this */
        public Builder optSteps(int steps) {
            this.steps = steps;
            return this;
        }

        /** @param shift SD3 time shift (default 3) @return this */
        public Builder optShift(double shift) {
            this.shift = shift;
            return this;
        }

        /** @param guidanceScale CFG scale w, 1 = none (default 4.5) @return this */
        public Builder optGuidanceScale(double guidanceScale) {
            this.guidanceScale = guidanceScale;
            return this;
        }

        /** @param step the rule inside the SDE window (default Flow-GRPO SDE, a = 0.7) @return this */
        public Builder optStochasticStep(SamplerStep step) {
            this.stochasticStep = step;
            return this;
        }

        /**
         * @param step the deterministic rule outside the SDE window (default {@link EulerStep};
         *     DiffusionNFT: {@link DpmSolverStep#dpmSolverPlusPlus2()}); must not be stochastic
         * @return this
         */
        public Builder optOdeStep(SamplerStep step) {
            this.odeStep = step;
            return this;
        }

        /** @param window which steps are stochastic (default all) @return this */
        public Builder optWindow(SdeWindow window) {
            this.window = window;
            return this;
        }

        /**
         * @param trainFraction steps with index below {@code floor(N * trainFraction)} are recorded
         *     (default 0.99: the last, near-clean step is not)
         * @return this
         */
        public Builder optTrainFraction(double trainFraction) {
            this.trainFraction = trainFraction;
            return this;
        }

        /** @return the sampler @throws IllegalArgumentException naming the first bad field */
        public TrajectorySampler build() {
            if (steps < 1) {
                throw new IllegalArgumentException("steps must be >= 1, got " + steps);
            }
            if (!(shift > 0) || Double.isInfinite(shift)) {
                throw new IllegalArgumentException("shift must be finite and > 0, got " + shift);
            }
            if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
                throw new IllegalArgumentException("guidanceScale must be finite and >= 0, got " + guidanceScale);
            }
            if (stochasticStep == null || window == null || odeStep == null) {
                throw new IllegalArgumentException("stochasticStep, odeStep and window must not be null");
            }
            if (odeStep.isStochastic()) {
                throw new IllegalArgumentException("odeStep must be deterministic, got " + odeStep);
            }
            if (!(trainFraction >= 0 && trainFraction <= 1)) {
                throw new IllegalArgumentException("trainFraction must be in [0, 1], got " + trainFraction);
            }
            // An SDE sampler that records no step gives the policy objective nothing to train on.
            if (!window.isNone() && Math.floor(steps * trainFraction) < 1) {
                throw new IllegalArgumentException("trainFraction must train at least one of the " + steps
                        + " steps of an SDE sampler, got " + trainFraction);
            }
            return new TrajectorySampler(this);
        }
    }
}
