package io.diffrl4j.regularizers.crd;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.advantage.StdGuard;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.schedule.AdapterSchedule;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.List;

/**
 * CRD, Centered Reward Distillation (docs/ALGORITHMS.md 7), as a {@link Method}: ODE rollouts (10 steps,
 * guidance 1, shift 3) drawn with a decoupled sampler snapshot, group-relative advantages, the
 * centred reward-matching {@link CrdObjective} against the moving reference "old", the
 * {@link CfgAnchoredKl} to the pretrained model at CFG 4.5 with the reward-adaptive per-sample
 * strength, and two EMA snapshots of the policy, "old" and "sampler", each on its own schedule
 * ({@code snap <- d snap + (1 - d) theta} after every epoch, {@code d} from {@link EmaDecay} at the
 * global optimizer step).
 *
 * <p>Every part can be switched off or replaced alone through {@link Config} (centring scope,
 * matching loss, implicit-reward form, KL strength mode, KL off with {@code klBeta = 0}, sampler
 * decoupling off with {@link SamplerMode#ON_POLICY} or {@link SamplerMode#MOVING_REFERENCE}), or on
 * the returned {@link Method} with its {@code with*} methods.
 */
public final class Crd {
    /** The moving reference's decay for OCR (paper table): start 0, d0 0.25, slope 0.005, max 0.999. */
    public static final String OLD_DECAY_OCR = "0-0.25-0.005-0.999";
    /** The sampler's decay for OCR: on-policy ({@code d = 0}) until step 75, then ramps by 0.0075 to 0.999. */
    public static final String SAMPLER_DECAY_OCR = "75-0.0-0.0075-0.999";

    /** Flow-Factory's advantage divisor {@code max(std, 1e-6)} (advantage_processor.py). */
    public static final double ADVANTAGE_STD_FLOOR = 1e-6;

    private Crd() {}

    /** @return CRD with the paper's defaults ({@link Config#builder()} unchanged) */
    public static Method defaults() {
        return defaults(Config.builder().build());
    }

    /**
     * @param config the settings
     * @return sampler: an ODE {@link TrajectorySampler} ({@link SdeWindow#none()}); sampling set:
     *     {@link SamplerMode#samplingSet()} ("sampler" by default); advantages:
     *     {@link GroupRelativeAdvantage}; objective: {@link CrdObjective} against "old"; regularizers:
     *     one {@link CfgAnchoredKl} (none when {@code klBeta == 0}); schedules: an {@link EmaSchedule}
     *     of "old", and of "sampler" when decoupled, then the evaluation EMA ({@link PolicyEma#crd()})
     *     unless {@link Config#ema()} is false; snapshots: "old", "sampler" when decoupled, "ema"
     */
    public static Method defaults(Config config) {
        TrajectorySampler sampler = TrajectorySampler.builder()
                .optSteps(config.steps())
                .optShift(config.shift())
                .optGuidanceScale(config.guidanceScale())
                .optWindow(SdeWindow.none())
                .build();
        List<Regularizer> regularizers = config.klBeta() == 0 ? List.of()
                : List.of(new CfgAnchoredKl(config.klGuidance(), config.klStrength().create(config.klBeta(), config.klFloor())));
        List<AdapterSchedule> schedules = new ArrayList<>();
        schedules.add(new EmaSchedule(AdapterRoles.OLD, config.oldDecay()));
        if (config.samplerMode() == SamplerMode.DECOUPLED) {
            schedules.add(new EmaSchedule(AdapterRoles.SAMPLER, config.samplerDecay()));
        }
        if (config.ema()) {
            schedules.add(PolicyEma.crd());
        }
        return new Method(
                "crd",
                sampler,
                config.samplerMode().samplingSet(),
                new GroupRelativeAdvantage(config.globalStd(), config.advantageClip(), StdGuard.FLOOR, ADVANTAGE_STD_FLOOR),
                new CrdObjective(config.betaCrd(), config.implicitReward(), config.centering(), config.loss(),
                        config.noiseLevels(), config.useOldForLoss() ? AdapterRoles.OLD : null).withWeightTemp(config.weightTemp()),
                regularizers,
                schedules);
    }

    /**
     * CRD's settings. Immutable; build with {@link #builder()}, whose {@code build()} checks every
     * field and names the first bad one in its {@link IllegalArgumentException}. Defaults: docs/ALGORITHMS.md
     * 7.7 (SD3.5-Medium, OCR).
     */
    public static final class Config {
        private final double betaCrd;
        private final ImplicitRewardForm implicitReward;
        private final CenteringScope centering;
        private final MatchingLoss loss;
        private final TrainingNoiseLevels noiseLevels;
        private final double klBeta;
        private final double klFloor;
        private final double klGuidance;
        private final KlStrengthMode klStrength;
        private final SamplerMode samplerMode;
        private final EmaDecay oldDecay;
        private final EmaDecay samplerDecay;
        private final double guidanceScale;
        private final int steps;
        private final double shift;
        private final boolean useOldForLoss;
        private final double weightTemp;
        private final boolean ema;
        private final boolean globalStd;
        private final double advantageClip;

        private Config(Builder b) {
            this.betaCrd = b.betaCrd;
            this.implicitReward = b.implicitReward;
            this.centering = b.centering;
            this.loss = b.loss;
            this.noiseLevels = b.noiseLevels != null ? b.noiseLevels
                    : new StratifiedRolloutNoiseLevels(StratifiedRolloutNoiseLevels.PORT_PASSES, b.steps, b.shift,
                            StratifiedRolloutNoiseLevels.PORT_RANGE);
            this.klBeta = b.klBeta;
            this.klFloor = b.klFloor;
            this.klGuidance = b.klGuidance;
            this.klStrength = b.klStrength;
            this.samplerMode = b.samplerMode;
            this.oldDecay = b.oldDecay;
            this.samplerDecay = b.samplerDecay;
            this.guidanceScale = b.guidanceScale;
            this.steps = b.steps;
            this.useOldForLoss = b.useOldForLoss;
            this.weightTemp = b.weightTemp;
            this.ema = b.ema;
            this.shift = b.shift;
            this.globalStd = b.globalStd;
            this.advantageClip = b.advantageClip;
        }

        /** @return a builder holding the paper's defaults */
        public static Builder builder() {
            return new Builder();
        }

        /** @return {@code beta_crd} (default 1.0) */
        public double betaCrd() {
            return betaCrd;
        }

        /** @return the implicit-reward form (default {@link ImplicitRewardForm#ADAPTIVE}) */
        public ImplicitRewardForm implicitReward() {
            return implicitReward;
        }

        /** @return the centring scope (default {@link CenteringScope#PROMPT}) */
        public CenteringScope centering() {
            return centering;
        }

        /** @return the matching loss (default {@link MatchingLoss#MSE}) */
        public MatchingLoss loss() {
            return loss;
        }

        /**
         * @return the training noise levels (default {@link StratifiedRolloutNoiseLevels}: the
         *     Flow-Factory port's 20 passes stratified over the rollout's own levels, range 0.99, one
         *     level per pass shared by a group; {@link DiscreteNoiseLevels} (19 per-sample permuted
         *     levels of a 20-step grid) is the option)
         */
        public TrainingNoiseLevels noiseLevels() {
            return noiseLevels;
        }

        /** @return the KL coefficient at full reward (default 0.1; 0 removes the KL) */
        public double klBeta() {
            return klBeta;
        }

        /** @return the KL coefficient at zero reward of the adaptive modes (default 1e-4) */
        public double klFloor() {
            return klFloor;
        }

        /** @return the anchor's CFG scale {@code w_kl} (default 4.5) */
        public double klGuidance() {
            return klGuidance;
        }

        /** @return the KL strength mode (default {@link KlStrengthMode#PER_SAMPLE}) */
        public KlStrengthMode klStrength() {
            return klStrength;
        }

        /** @return which set draws rollouts (default {@link SamplerMode#DECOUPLED}) */
        public SamplerMode samplerMode() {
            return samplerMode;
        }

        /** @return the moving reference's EMA decay (default {@value Crd#OLD_DECAY_OCR}) */
        public EmaDecay oldDecay() {
            return oldDecay;
        }

        /** @return the sampler's EMA decay (default {@value Crd#SAMPLER_DECAY_OCR}; unused unless decoupled) */
        public EmaDecay samplerDecay() {
            return samplerDecay;
        }

        /** @return the CFG scale of rollouts (default 1: no guidance) */
        public double guidanceScale() {
            return guidanceScale;
        }

        /**
         * @return whether the implicit reward compares the policy with the moving "old" model (default
         *     true, the port's {@code use_old_for_loss: true}) or with the pretrained model
         */
        public boolean useOldForLoss() {
            return useOldForLoss;
        }

        /** @return the port's {@code weight_temp} (default -1: plain-mean centring, as default.yaml) */
        public double weightTemp() {
            return weightTemp;
        }

        /**
         * @return whether an evaluation/checkpoint EMA of the policy is kept in
         *     {@link AdapterRoles#EMA} ({@link PolicyEma#crd()}; default true, as Flow-Factory's
         *     {@code ema_decay = 0.995} default, which the CRD trainer's {@code evaluate} and the
         *     checkpoint save read through {@code use_ema_parameters}); evaluation and export read it
         *     through {@link Method#evaluationSet()}
         */
        public boolean ema() {
            return ema;
        }

        /** @return ODE rollout steps (default 10) */
        public int steps() {
            return steps;
        }

        /** @return the SD3 time shift of the rollouts (default 3) */
        public double shift() {
            return shift;
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
            private double betaCrd = CrdObjective.DEFAULT_BETA;
            private ImplicitRewardForm implicitReward = ImplicitRewardForm.ADAPTIVE;
            private CenteringScope centering = CenteringScope.PROMPT;
            private MatchingLoss loss = MatchingLoss.MSE;
            private TrainingNoiseLevels noiseLevels;
            private double klBeta = 0.1;
            private double klFloor = 1e-4;
            private double klGuidance = CfgAnchoredKl.DEFAULT_GUIDANCE;
            private KlStrengthMode klStrength = KlStrengthMode.PER_SAMPLE;
            private SamplerMode samplerMode = SamplerMode.DECOUPLED;
            private EmaDecay oldDecay = EmaDecay.parse(OLD_DECAY_OCR);
            private EmaDecay samplerDecay = EmaDecay.parse(SAMPLER_DECAY_OCR);
            private double guidanceScale = 1.0;
            private int steps = 10;
            private double shift = 3.0;
            private boolean useOldForLoss = true;
            private double weightTemp = -1;
            private boolean ema = true;

            /**
             * @param on keep an EMA of the policy in {@link AdapterRoles#EMA} for evaluation and checkpoints
             * @return this
             */
            public Builder optEma(boolean on) {
                this.ema = on;
                return this;
            }

            /**
             * @param temp the port's {@code weight_temp}: negative for plain means, 0 for hard selection,
             *     {@code > 0} for softmax two-direction centring
             * @return this
             */
            public Builder optWeightTemp(double temp) {
                this.weightTemp = temp;
                return this;
            }

            /**
             * @param on compare with the moving "old" model (true) or the pretrained model (false)
             * @return this
             */
            public Builder optUseOldForLoss(boolean on) {
                this.useOldForLoss = on;
                return this;
            }
            private boolean globalStd = true;
            private double advantageClip = CenteredRewardMatching.ADVANTAGE_SCALE;

            private Builder() {}

            /**
             * @param betaCrd {@code beta_crd}, finite and {@code > 0}
             * @return this
             */
            public Builder optBetaCrd(double betaCrd) {
                this.betaCrd = betaCrd;
                return this;
            }

            /**
             * @param form adaptive or plain implicit reward
             * @return this
             */
            public Builder optImplicitReward(ImplicitRewardForm form) {
                this.implicitReward = form;
                return this;
            }

            /**
             * @param scope per-prompt or per-micro-batch centring
             * @return this
             */
            public Builder optCentering(CenteringScope scope) {
                this.centering = scope;
                return this;
            }

            /**
             * @param loss MSE or BCE
             * @return this
             */
            public Builder optLoss(MatchingLoss loss) {
                this.loss = loss;
                return this;
            }

            /**
             * @param noiseLevels training noise levels, at least one per sample
             * @return this
             */
            public Builder optNoiseLevels(TrainingNoiseLevels noiseLevels) {
                this.noiseLevels = noiseLevels;
                return this;
            }

            /**
             * @param klBeta KL coefficient at full reward, finite and {@code >= 0}; 0 removes the KL
             * @return this
             */
            public Builder optKlBeta(double klBeta) {
                this.klBeta = klBeta;
                return this;
            }

            /**
             * @param klFloor KL coefficient at zero reward, in [0, klBeta]
             * @return this
             */
            public Builder optKlFloor(double klFloor) {
                this.klFloor = klFloor;
                return this;
            }

            /**
             * @param klGuidance the anchor's CFG scale {@code w_kl}, finite and {@code >= 0}
             * @return this
             */
            public Builder optKlGuidance(double klGuidance) {
                this.klGuidance = klGuidance;
                return this;
            }

            /**
             * @param mode per-sample, per-batch or constant KL strength
             * @return this
             */
            public Builder optKlStrength(KlStrengthMode mode) {
                this.klStrength = mode;
                return this;
            }

            /**
             * @param mode decoupled sampler, on-policy, or the moving reference (ablation)
             * @return this
             */
            public Builder optSamplerMode(SamplerMode mode) {
                this.samplerMode = mode;
                return this;
            }

            /**
             * @param decay the moving reference's EMA decay
             * @return this
             */
            public Builder optOldDecay(EmaDecay decay) {
                this.oldDecay = decay;
                return this;
            }

            /**
             * @param compact the moving reference's decay as {@code start-d0-slope-dmax}
             * @return this
             * @throws IllegalArgumentException when the text is not of that form
             */
            public Builder optOldDecay(String compact) {
                return optOldDecay(EmaDecay.parse(compact));
            }

            /**
             * @param decay the sampler's EMA decay
             * @return this
             */
            public Builder optSamplerDecay(EmaDecay decay) {
                this.samplerDecay = decay;
                return this;
            }

            /**
             * @param compact the sampler's decay as {@code start-d0-slope-dmax}
             * @return this
             * @throws IllegalArgumentException when the text is not of that form
             */
            public Builder optSamplerDecay(String compact) {
                return optSamplerDecay(EmaDecay.parse(compact));
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
             * @param globalStd batch std (true) or group std (false) for advantages
             * @return this
             */
            public Builder optGlobalStd(boolean globalStd) {
                this.globalStd = globalStd;
                return this;
            }

            /**
             * @param advantageClip advantage clip, finite and {@code > 0}; the normalised reward
             *     {@code r~} assumes 5, so change it only together with the objective
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
                if (!(betaCrd > 0) || Double.isInfinite(betaCrd)) {
                    throw new IllegalArgumentException("betaCrd must be finite and > 0, got " + betaCrd);
                }
                if (implicitReward == null) {
                    throw new IllegalArgumentException("implicitReward must not be null");
                }
                if (centering == null) {
                    throw new IllegalArgumentException("centering must not be null");
                }
                if (loss == null) {
                    throw new IllegalArgumentException("loss must not be null");
                }
                if (noiseLevels != null && noiseLevels.levelsPerSample() < 1) {
                    throw new IllegalArgumentException("noiseLevels must give at least one level per sample");
                }
                if (!(klBeta >= 0) || Double.isInfinite(klBeta)) {
                    throw new IllegalArgumentException("klBeta must be finite and >= 0, got " + klBeta);
                }
                if (klBeta > 0 && !(klFloor >= 0 && klFloor <= klBeta)) {
                    throw new IllegalArgumentException("klFloor must be in [0, klBeta = " + klBeta + "], got " + klFloor);
                }
                if (!(klGuidance >= 0) || Double.isInfinite(klGuidance)) {
                    throw new IllegalArgumentException("klGuidance must be finite and >= 0, got " + klGuidance);
                }
                if (klStrength == null) {
                    throw new IllegalArgumentException("klStrength must not be null");
                }
                if (samplerMode == null) {
                    throw new IllegalArgumentException("samplerMode must not be null");
                }
                if (oldDecay == null) {
                    throw new IllegalArgumentException("oldDecay must not be null");
                }
                if (samplerDecay == null) {
                    throw new IllegalArgumentException("samplerDecay must not be null");
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
                if (!(advantageClip > 0) || Double.isInfinite(advantageClip)) {
                    throw new IllegalArgumentException("advantageClip must be finite and > 0, got " + advantageClip);
                }
                return new Config(this);
            }
        }
    }
}
