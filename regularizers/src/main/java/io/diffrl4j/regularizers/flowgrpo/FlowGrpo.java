package io.diffrl4j.regularizers.flowgrpo;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import io.diffrl4j.samplers.ReferenceKlSampler;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;

/**
 * The Flow-GRPO baseline as a {@link Method} (docs/ALGORITHMS.md 3, 4): SDE rollouts on every step drawn
 * with the policy, group-relative advantages, the clipped-ratio {@link FlowGrpoObjective}, and a KL
 * of the transition mean to the pretrained model at the sampling guidance. One snapshot set, the
 * evaluation EMA of the policy ({@link PolicyEma#flowGrpo()}, unless {@link Config.Builder#optEma}
 * is false). Defaults are the SD3.5-Medium recipe (docs/ALGORITHMS.md 9).
 */
public final class FlowGrpo {
    private FlowGrpo() {}

    /** @return Flow-GRPO with the papers' defaults ({@link Config#builder()} unchanged) */
    public static Method defaults() {
        return defaults(Config.builder().build());
    }

    /**
     * @param config the settings
     * @return sampler: {@link TrajectorySampler} with {@link FlowGrpoSdeStep} on every step; sampling
     *     set: the policy; advantages: {@link GroupRelativeAdvantage}; objective:
     *     {@link FlowGrpoObjective} on the sampler's schedule; regularizers: one {@link ReferenceKl}
     *     to the pretrained model at the sampling guidance (none when {@code beta == 0})
     */
    public static Method defaults(Config config) {
        TrajectorySampler sampler = TrajectorySampler.builder()
                .optSteps(config.steps())
                .optShift(config.shift())
                .optGuidanceScale(config.guidanceScale())
                .optStochasticStep(new FlowGrpoSdeStep(config.noiseLevel(), config.logProbReduction()))
                .optWindow(SdeWindow.all())
                .optTrainFraction(config.trainFraction())
                .build();
        List<Regularizer> regularizers = config.beta() == 0 ? List.of()
                : List.of(new ReferenceKl(null, null, config.klForm(), KlStrength.constant(config.beta())));
        GroupRelativeAdvantage advantages = new GroupRelativeAdvantage(config.globalStd(), config.advantageClip());
        return new Method(
                "flow-grpo",
                // The KL-in-reward's reference is the pretrained model (the reference code's disable_adapter()).
                config.klReward() > 0 ? new ReferenceKlSampler(sampler, null) : sampler,
                AdapterRoles.POLICY,
                advantages,
                new FlowGrpoObjective(config.clipRange(), config.detachUnconditional(),
                        config.klReward(), config.klReward() > 0 ? advantages : null),
                regularizers,
                config.ema() ? List.of(PolicyEma.flowGrpo()) : List.of());
    }

    /**
     * Flow-GRPO's settings. Immutable; build with {@link #builder()}, whose {@code build()} checks
     * every field and names the first bad one in its {@link IllegalArgumentException}.
     */
    public static final class Config {
        private final double beta;
        private final double clipRange;
        private final KlForm klForm;
        private final double guidanceScale;
        private final double noiseLevel;
        private final LogProbReduction logProbReduction;
        private final int steps;
        private final double shift;
        private final double trainFraction;
        private final boolean globalStd;
        private final double advantageClip;
        private final boolean detachUnconditional;
        private final double klReward;

        private final boolean ema;

        private Config(Builder b) {
            this.ema = b.ema;
            this.beta = b.beta;
            this.clipRange = b.clipRange;
            this.klForm = b.klForm;
            this.guidanceScale = b.guidanceScale;
            this.noiseLevel = b.noiseLevel;
            this.logProbReduction = b.logProbReduction;
            this.steps = b.steps;
            this.shift = b.shift;
            this.trainFraction = b.trainFraction;
            this.globalStd = b.globalStd;
            this.advantageClip = b.advantageClip;
            this.detachUnconditional = b.detachUnconditional;
            this.klReward = b.klReward;
        }

        /**
         * @return the KL-in-reward coefficient (default 0, off, as every flow_grpo config; the option
         *     was removed from flow_grpo in commit 2d76907): with {@code c > 0} the rollouts also record
         *     each step's KL to the pretrained model ({@link io.diffrl4j.samplers.ReferenceKlSampler}), the
         *     reward of step {@code t} becomes {@code r - c kl_t} and every step trains on its own
         *     advantages ({@link FlowGrpoObjective#klReward()})
         */
        public double klReward() {
            return klReward;
        }

        /**
         * @return whether an evaluation/checkpoint EMA of the policy is kept in
         *     {@link AdapterRoles#EMA} ({@code PolicyEma.flowGrpo()}; default true, as every SD3.5
         *     config of flow_grpo's {@code config/grpo.py} and GARDO's Flow-GRPO configs,
         *     {@code train.ema = True}); evaluation and export read it through
         *     {@link Method#evaluationSet()}
         */
        public boolean ema() {
            return ema;
        }

        /** @return a builder holding the SD3.5-Medium defaults */
        public static Builder builder() {
            return new Builder();
        }

        /** @return the KL coefficient (default 0.04; 0 disables the KL) */
        public double beta() {
            return beta;
        }

        /** @return the ratio clip range {@code eps_clip} (default 1e-4) */
        public double clipRange() {
            return clipRange;
        }

        /** @return the KL variance form (default {@link KlForm#CODE}) */
        public KlForm klForm() {
            return klForm;
        }

        /** @return the CFG scale of rollouts and training (default 4.5) */
        public double guidanceScale() {
            return guidanceScale;
        }

        /** @return the SDE noise level {@code a} (default 0.7) */
        public double noiseLevel() {
            return noiseLevel;
        }

        /** @return how log-probabilities are reduced per sample (default MEAN, as the reference code) */
        public LogProbReduction logProbReduction() {
            return logProbReduction;
        }

        /** @return rollout steps N (default 10) */
        public int steps() {
            return steps;
        }

        /** @return the SD3 time shift (default 3) */
        public double shift() {
            return shift;
        }

        /** @return the share of steps recorded and trained, {@code floor(N * f)} (default 0.99) */
        public double trainFraction() {
            return trainFraction;
        }

        /** @return whether advantages divide by the batch std (default true) or the group's */
        public boolean globalStd() {
            return globalStd;
        }

        /** @return the advantage clip (default 5) */
        public double advantageClip() {
            return advantageClip;
        }

        /**
         * @return whether the training forward detaches the unconditional half of CFG (default false:
         *     gradients through both halves, as current flow_grpo and GARDO code; true: the earlier
         *     flow_grpo {@code noise_pred_uncond.detach()})
         */
        public boolean detachUnconditional() {
            return detachUnconditional;
        }

        /** Builder with the SD3.5-Medium defaults; validated by {@link #build()}. */
        public static final class Builder {
            private double beta = 0.04;
            private double clipRange = FlowGrpoObjective.DEFAULT_CLIP_RANGE;
            private KlForm klForm = KlForm.CODE;
            private double guidanceScale = 4.5;
            private double noiseLevel = 0.7;
            private LogProbReduction logProbReduction = LogProbReduction.MEAN;
            private int steps = 10;
            private double shift = 3.0;
            private double trainFraction = 0.99;
            private boolean globalStd = true;
            private double advantageClip = 5.0;
            private boolean detachUnconditional;
            private double klReward;

            private boolean ema = true;

            private Builder() {}

            /**
             * @param on keep an EMA of the policy in {@link AdapterRoles#EMA} for evaluation and checkpoints
             * @return this
             */
            public Builder optEma(boolean on) {
                this.ema = on;
                return this;
            }

            /**
             * @param detach detach the unconditional half of the guided training velocity (default false)
             * @return this
             */
            public Builder optDetachUnconditional(boolean detach) {
                this.detachUnconditional = detach;
                return this;
            }

            /**
             * @param klReward the KL-in-reward coefficient, finite and {@code >= 0} (default 0: off)
             * @return this
             */
            public Builder optKlReward(double klReward) {
                this.klReward = klReward;
                return this;
            }

            /**
             * @param beta KL coefficient, finite and {@code >= 0}
             * @return this
             */
            public Builder optBeta(double beta) {
                this.beta = beta;
                return this;
            }

            /**
             * @param clipRange {@code eps_clip}, finite and {@code > 0}
             * @return this
             */
            public Builder optClipRange(double clipRange) {
                this.clipRange = clipRange;
                return this;
            }

            /**
             * @param klForm the KL variance form
             * @return this
             */
            public Builder optKlForm(KlForm klForm) {
                this.klForm = klForm;
                return this;
            }

            /**
             * @param guidanceScale CFG scale, finite and {@code >= 0} (1 = none)
             * @return this
             */
            public Builder optGuidanceScale(double guidanceScale) {
                this.guidanceScale = guidanceScale;
                return this;
            }

            /**
             * @param noiseLevel SDE noise level {@code a}, finite and {@code > 0}
             * @return this
             */
            public Builder optNoiseLevel(double noiseLevel) {
                this.noiseLevel = noiseLevel;
                return this;
            }

            /**
             * @param reduction per-sample log-probability reduction
             * @return this
             */
            public Builder optLogProbReduction(LogProbReduction reduction) {
                this.logProbReduction = reduction;
                return this;
            }

            /**
             * @param steps rollout steps N, at least 1
             * @return this
             */
            public Builder optSteps(int steps) {
                this.steps = steps;
                return this;
            }

            /**
             * @param shift SD3 time shift, finite and {@code > 0}
             * @return this
             */
            public Builder optShift(double shift) {
                this.shift = shift;
                return this;
            }

            /**
             * @param trainFraction share of steps trained, in (0, 1] with at least one step
             * @return this
             */
            public Builder optTrainFraction(double trainFraction) {
                this.trainFraction = trainFraction;
                return this;
            }

            /**
             * @param globalStd batch std (true) or group std (false) for advantages
             * @return this
             */
            public Builder optGlobalStd(boolean globalStd) {
                this.globalStd = globalStd;
                return this;
            }

            /**
             * @param advantageClip advantage clip, finite and {@code > 0}
             * @return this
             */
            public Builder optAdvantageClip(double advantageClip) {
                this.advantageClip = advantageClip;
                return this;
            }

            /**
             * @return the config
             * @throws IllegalArgumentException naming the first bad field
             */
            public Config build() {
                if (!(beta >= 0) || Double.isInfinite(beta)) {
                    throw new IllegalArgumentException("beta must be finite and >= 0, got " + beta);
                }
                if (!(clipRange > 0) || Double.isInfinite(clipRange)) {
                    throw new IllegalArgumentException("clipRange must be finite and > 0, got " + clipRange);
                }
                if (klForm == null) {
                    throw new IllegalArgumentException("klForm must not be null");
                }
                if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
                    throw new IllegalArgumentException("guidanceScale must be finite and >= 0, got " + guidanceScale);
                }
                // a = 0 is the Euler ODE: no log-probability, nothing for the ratio to train on.
                if (!(noiseLevel > 0) || Double.isInfinite(noiseLevel)) {
                    throw new IllegalArgumentException("noiseLevel must be finite and > 0, got " + noiseLevel);
                }
                if (logProbReduction == null) {
                    throw new IllegalArgumentException("logProbReduction must not be null");
                }
                if (steps < 1) {
                    throw new IllegalArgumentException("steps must be >= 1, got " + steps);
                }
                if (!(shift > 0) || Double.isInfinite(shift)) {
                    throw new IllegalArgumentException("shift must be finite and > 0, got " + shift);
                }
                if (!(trainFraction > 0 && trainFraction <= 1) || Math.floor(steps * trainFraction) < 1) {
                    throw new IllegalArgumentException("trainFraction must be in (0, 1] and train at least one of the "
                            + steps + " steps, got " + trainFraction);
                }
                if (!(advantageClip > 0) || Double.isInfinite(advantageClip)) {
                    throw new IllegalArgumentException("advantageClip must be finite and > 0, got " + advantageClip);
                }
                if (!(klReward >= 0) || Double.isInfinite(klReward)) {
                    throw new IllegalArgumentException("klReward must be finite and >= 0, got " + klReward);
                }
                return new Config(this);
            }
        }
    }
}
