package io.diffrl4j.regularizers.nft;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.sampling.SamplerStep;
import io.diffrl4j.samplers.DpmSolverStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;

/**
 * The DiffusionNFT baseline as a {@link Method} (docs/ALGORITHMS.md 5): deterministic rollouts (second-order
 * DPM-Solver++, as the reference's {@code solver="dpm2"}) drawn with the "old" adapter set, group-relative advantages, the forward-process {@link DiffusionNftObjective}, a
 * velocity-MSE KL to the pretrained model at guidance 1, and the "old" set as an EMA of the policy
 * ({@code old <- d old + (1 - d) theta}, {@code d = min(0.001 step, 0.5)}) created as a snapshot of
 * the initial policy.
 */
public final class DiffusionNft {
    private DiffusionNft() {}

    /** @return DiffusionNFT with the paper's defaults ({@link Config#builder()} unchanged) */
    public static Method defaults() {
        return defaults(Config.builder().build());
    }

    /**
     * @param config the settings
     * @return sampler: an ODE {@link TrajectorySampler} ({@link SdeWindow#none()}); sampling set: "old";
     *     advantages: {@link GroupRelativeAdvantage}; objective: {@link DiffusionNftObjective};
     *     regularizers: {@link ReferenceKl} to the pretrained model at guidance 1 (none when
     *     {@code klBeta == 0}); schedules: an {@link EmaSchedule} of "old", and the evaluation EMA
     *     ({@link PolicyEma#diffusionNft()}) unless {@link Config#ema()} is false; snapshots: "old"
     *     and "ema"
     */
    public static Method defaults(Config config) {
        TrajectorySampler sampler = TrajectorySampler.builder()
                .optSteps(config.steps())
                .optShift(config.shift())
                .optGuidanceScale(config.guidanceScale())
                .optWindow(SdeWindow.none())
                .optOdeStep(config.odeStep())
                .build();
        List<Regularizer> regularizers = config.klBeta() == 0 ? List.of()
                : List.of(new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(config.klBeta())));
        return new Method(
                "diffusion-nft",
                sampler,
                AdapterRoles.OLD,
                new GroupRelativeAdvantage(config.globalStd(), config.advantageClip()),
                new DiffusionNftObjective(config.betaNft(), config.noiseLevels(), AdapterRoles.OLD, config.advantageMode()),
                regularizers,
                config.ema() ? List.of(new EmaSchedule(AdapterRoles.OLD, config.oldDecay()), PolicyEma.diffusionNft())
                        : List.of(new EmaSchedule(AdapterRoles.OLD, config.oldDecay())));
    }

    /**
     * DiffusionNFT's settings. Immutable; build with {@link #builder()}, whose {@code build()} checks
     * every field and names the first bad one in its {@link IllegalArgumentException}.
     */
    public static final class Config {
        private final double betaNft;
        private final double klBeta;
        private final double guidanceScale;
        private final int steps;
        private final double shift;
        private final TrainingNoiseLevels noiseLevels;
        private final double trainFraction;
        private final SamplerStep odeStep;
        private final AdvantageMode advantageMode;
        private final EmaDecay oldDecay;
        private final boolean globalStd;
        private final double advantageClip;

        private final boolean ema;

        private Config(Builder b) {
            this.ema = b.ema;
            this.betaNft = b.betaNft;
            this.klBeta = b.klBeta;
            this.guidanceScale = b.guidanceScale;
            this.steps = b.steps;
            this.shift = b.shift;
            this.trainFraction = b.trainFraction;
            this.odeStep = b.odeStep;
            this.advantageMode = b.advantageMode;
            this.noiseLevels = b.noiseLevels != null ? b.noiseLevels
                    : new RolloutNoiseLevels(b.steps, b.shift, b.trainFraction);
            this.oldDecay = b.oldDecay;
            this.globalStd = b.globalStd;
            this.advantageClip = b.advantageClip;
        }

        /**
         * @return whether an evaluation/checkpoint EMA of the policy is kept in
         *     {@link AdapterRoles#EMA} ({@code PolicyEma.diffusionNft()}; default true, as the
         *     reference's {@code config/base.py} {@code train.ema = True}); evaluation and export read
         *     it through {@link Method#evaluationSet()}
         */
        public boolean ema() {
            return ema;
        }

        /** @return a builder holding the paper's defaults */
        public static Builder builder() {
            return new Builder();
        }

        /** @return {@code beta_nft} (default 1.0; 0.1 for OCR) */
        public double betaNft() {
            return betaNft;
        }

        /** @return the KL coefficient of the velocity MSE to the pretrained model (default 1e-4) */
        public double klBeta() {
            return klBeta;
        }

        /** @return the CFG scale of rollouts (default 1: no guidance) */
        public double guidanceScale() {
            return guidanceScale;
        }

        /** @return ODE rollout steps (default 10) */
        public int steps() {
            return steps;
        }

        /** @return the SD3 time shift of the rollouts (default 3) */
        public double shift() {
            return shift;
        }

        /**
         * @return the rollout solver (default {@link DpmSolverStep#dpmSolverPlusPlus2()}, the
         *     reference's {@code solver="dpm2"}: deterministic second-order multistep DPM-Solver++;
         *     {@link io.diffrl4j.samplers.EulerStep} is the option)
         */
        public SamplerStep odeStep() {
            return odeStep;
        }

        /** @return the reference's {@code adv_mode} (default {@link AdvantageMode#ALL}, as its configs) */
        public AdvantageMode advantageMode() {
            return advantageMode;
        }

        /**
         * @return the share of the rollout's levels each sample trains on, {@code timestep_fraction}
         *     (default 0.99: 9 of 10; GARDO's NFT config uses 1.0)
         */
        public double trainFraction() {
            return trainFraction;
        }

        /**
         * @return the training noise levels (default {@link RolloutNoiseLevels}: per sample a random
         *     {@code floor(steps * trainFraction)} of the rollout's own {@code steps} levels, as the
         *     reference's {@code randperm}; {@link DiscreteNoiseLevels} (19 of a separate 20-level grid,
         *     the paper's description) is the option)
         */
        public TrainingNoiseLevels noiseLevels() {
            return noiseLevels;
        }

        /** @return the "old" model's EMA decay (default {@link EmaDecay#diffusionNftOld()}) */
        public EmaDecay oldDecay() {
            return oldDecay;
        }

        /** @return whether advantages divide by the batch std (default true) or the group's */
        public boolean globalStd() {
            return globalStd;
        }

        /** @return the advantage clip (default 5) */
        public double advantageClip() {
            return advantageClip;
        }

        /** Builder with the paper's defaults; validated by {@link #build()}. */
        public static final class Builder {
            private double betaNft = DiffusionNftObjective.DEFAULT_BETA;
            private double klBeta = 1e-4;
            private double guidanceScale = 1.0;
            private int steps = 10;
            private double shift = 3.0;
            private TrainingNoiseLevels noiseLevels;
            private double trainFraction = 0.99;
            private SamplerStep odeStep = DpmSolverStep.dpmSolverPlusPlus2();
            private AdvantageMode advantageMode = AdvantageMode.ALL;

            /**
             * @param mode the reference's {@code adv_mode}
             * @return this
             */
            public Builder optAdvantageMode(AdvantageMode mode) {
                this.advantageMode = mode;
                return this;
            }
            private EmaDecay oldDecay = EmaDecay.diffusionNftOld();
            private boolean globalStd = true;
            private double advantageClip = DiffusionNftObjective.ADVANTAGE_SCALE;

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
             * @param betaNft {@code beta_nft}, finite and {@code > 0}
             * @return this
             */
            public Builder optBetaNft(double betaNft) {
                this.betaNft = betaNft;
                return this;
            }

            /**
             * @param klBeta KL coefficient, finite and {@code >= 0}
             * @return this
             */
            public Builder optKlBeta(double klBeta) {
                this.klBeta = klBeta;
                return this;
            }

            /**
             * @param guidanceScale rollout CFG scale, finite and {@code >= 0} (1 = none)
             * @return this
             */
            public Builder optGuidanceScale(double guidanceScale) {
                this.guidanceScale = guidanceScale;
                return this;
            }

            /**
             * @param steps ODE rollout steps, at least 1
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
             * @param step the deterministic rollout solver (default DPM-Solver++(2M))
             * @return this
             */
            public Builder optOdeStep(SamplerStep step) {
                this.odeStep = step;
                return this;
            }

            /**
             * @param trainFraction share of the rollout's levels trained per sample, in (0, 1]
             *     (used by the default noise levels)
             * @return this
             */
            public Builder optTrainFraction(double trainFraction) {
                this.trainFraction = trainFraction;
                return this;
            }

            /**
             * @param noiseLevels training noise levels (default: {@link RolloutNoiseLevels} of the
             *     rollout's steps, shift and train fraction)
             * @return this
             */
            public Builder optNoiseLevels(TrainingNoiseLevels noiseLevels) {
                this.noiseLevels = noiseLevels;
                return this;
            }

            /**
             * @param oldDecay the "old" model's EMA decay
             * @return this
             */
            public Builder optOldDecay(EmaDecay oldDecay) {
                this.oldDecay = oldDecay;
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
             * @param advantageClip advantage clip, finite and {@code > 0}; the objective's optimality
             *     probability assumes 5, so change it only together with the objective
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
                if (!(betaNft > 0) || Double.isInfinite(betaNft)) {
                    throw new IllegalArgumentException("betaNft must be finite and > 0, got " + betaNft);
                }
                if (!(klBeta >= 0) || Double.isInfinite(klBeta)) {
                    throw new IllegalArgumentException("klBeta must be finite and >= 0, got " + klBeta);
                }
                if (!(guidanceScale >= 0) || Double.isInfinite(guidanceScale)) {
                    throw new IllegalArgumentException("guidanceScale must be finite and >= 0, got " + guidanceScale);
                }
                if (steps < 1) {
                    throw new IllegalArgumentException("steps must be >= 1, got " + steps);
                }
                if (!(shift > 0) || Double.isInfinite(shift)) {
                    throw new IllegalArgumentException("shift must be finite and > 0, got " + shift);
                }
                if (advantageMode == null) {
                    throw new IllegalArgumentException("advantageMode must not be null");
                }
                if (odeStep == null || odeStep.isStochastic()) {
                    throw new IllegalArgumentException("odeStep must be a deterministic step, got " + odeStep);
                }
                if (!(trainFraction > 0 && trainFraction <= 1)) {
                    throw new IllegalArgumentException("trainFraction must be in (0, 1], got " + trainFraction);
                }
                if (noiseLevels != null && noiseLevels.levelsPerSample() < 1) {
                    throw new IllegalArgumentException("noiseLevels must give at least one level per sample");
                }
                if (oldDecay == null) {
                    throw new IllegalArgumentException("oldDecay must not be null");
                }
                if (!(advantageClip > 0) || Double.isInfinite(advantageClip)) {
                    throw new IllegalArgumentException("advantageClip must be finite and > 0, got " + advantageClip);
                }
                return new Config(this);
            }
        }
    }
}
