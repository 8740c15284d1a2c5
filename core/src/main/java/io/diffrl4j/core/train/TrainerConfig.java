package io.diffrl4j.core.train;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.time.Duration;
import java.util.Optional;

/**
 * The loop's numbers: how much is sampled per epoch, how it is cut into optimizer steps and
 * micro-batches, and the AdamW settings. Defaults are the SD3.5-Medium recipe of docs/ALGORITHMS.md
 * section 9 (48 prompts x 24 images, 2 optimizer steps, AdamW 3e-4, grad-clip 1). Immutable;
 * {@link Builder#build()} names the first bad field and its value: counts in range, AdamW settings
 * finite (learning rate and epsilon > 0, weight decay >= 0, betas in [0, 1), clip > 0 or 0 for
 * none). A finite but runaway learning rate is caught per step instead ({@link NonFiniteUpdateException}).
 */
public final class TrainerConfig {
    /**
     * The most images one epoch may sample (P x G): an epoch keeps every rollout until its update,
     * so even the smallest latents (a few KB each) would need gigabytes beyond this; the recipe
     * samples 1,152.
     */
    public static final int MAX_IMAGES_PER_EPOCH = 1 << 20;

    private final int promptsPerEpoch;
    private final int groupSize;
    private final int promptsPerSamplingBatch;
    private final int optimizerStepsPerEpoch;
    private final int groupsPerMicroBatch;
    private final int imagesPerMicroBatch;
    private final double learningRate;
    private final LearningRateSchedule learningRateSchedule;
    private final double beta1;
    private final double beta2;
    private final double weightDecay;
    private final double adamEpsilon;
    private final double gradClip;
    private final long seed;
    private final Boolean skipZeroAdvantageGroups;
    private final int shuffledImagesPerMicroBatch;
    private final Duration rewardTimeout;
    private final int rewardThreads;

    private TrainerConfig(Builder b) {
        promptsPerEpoch = b.promptsPerEpoch;
        groupSize = b.groupSize;
        promptsPerSamplingBatch = b.promptsPerSamplingBatch;
        optimizerStepsPerEpoch = b.optimizerStepsPerEpoch;
        groupsPerMicroBatch = b.groupsPerMicroBatch;
        imagesPerMicroBatch = b.imagesPerMicroBatch == null ? b.groupsPerMicroBatch * b.groupSize : b.imagesPerMicroBatch;
        learningRate = b.learningRate;
        learningRateSchedule = b.learningRateSchedule;
        beta1 = b.beta1;
        beta2 = b.beta2;
        weightDecay = b.weightDecay;
        adamEpsilon = b.adamEpsilon;
        gradClip = b.gradClip;
        seed = b.seed;
        skipZeroAdvantageGroups = b.skipZeroAdvantageGroups;
        shuffledImagesPerMicroBatch = b.shuffledImagesPerMicroBatch;
        rewardTimeout = b.rewardTimeout;
        rewardThreads = b.rewardThreads;
    }

    /** @return a builder with the SD3.5-Medium defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return P, prompts sampled per epoch */
    public int promptsPerEpoch() {
        return promptsPerEpoch;
    }

    /** @return G, images per prompt */
    public int groupSize() {
        return groupSize;
    }

    /** @return prompts per sampling batch (scoring of one overlaps sampling of the next) */
    public int promptsPerSamplingBatch() {
        return promptsPerSamplingBatch;
    }

    /** @return K, optimizer steps per epoch */
    public int optimizerStepsPerEpoch() {
        return optimizerStepsPerEpoch;
    }

    /** @return whole groups per micro-batch (gradient accumulation unit); 1 when micro-batches are parts of a group */
    public int groupsPerMicroBatch() {
        return groupsPerMicroBatch;
    }

    /**
     * @return images per micro-batch: {@code groupsPerMicroBatch x groupSize} (whole groups), or a
     *     divisor m of G below it, in which case each group trains as G / m micro-batches of m
     *     consecutive rows, all in the same optimizer step
     */
    public int imagesPerMicroBatch() {
        return imagesPerMicroBatch;
    }

    /** @return how many micro-batches one group is cut into: 1 for whole groups, else G / imagesPerMicroBatch */
    public int microBatchesPerGroup() {
        return imagesPerMicroBatch < groupSize ? groupSize / imagesPerMicroBatch : 1;
    }

    /** @return AdamW's (peak) learning rate */
    public double learningRate() {
        return learningRate;
    }

    /** @return how the rate changes over optimizer steps (default constant) */
    public LearningRateSchedule learningRateSchedule() {
        return learningRateSchedule;
    }

    /**
     * @param step an optimizer step, from 0
     * @return that step's learning rate: {@code learningRate() * learningRateSchedule().factor(step)}
     */
    public double learningRateAt(long step) {
        return learningRate * learningRateSchedule.factor(step);
    }

    /** @return AdamW beta1 */
    public double beta1() {
        return beta1;
    }

    /** @return AdamW beta2 */
    public double beta2() {
        return beta2;
    }

    /** @return AdamW decoupled weight decay */
    public double weightDecay() {
        return weightDecay;
    }

    /** @return AdamW epsilon */
    public double adamEpsilon() {
        return adamEpsilon;
    }

    /** @return maximum global gradient norm (0 disables clipping) */
    public double gradClip() {
        return gradClip;
    }

    /** @return the run's seed: every random draw derives from it */
    public long seed() {
        return seed;
    }

    /**
     * @return whether groups whose advantages are all zero are left out of the update; empty (the
     *     default) leaves it to the method's objective ({@code PolicyObjective.skipsZeroAdvantageGroups}:
     *     Flow-GRPO and GARDO on it skip them, DiffusionNFT and CRD train on them, as their reference code)
     */
    public Optional<Boolean> skipZeroAdvantageGroups() {
        return Optional.ofNullable(skipZeroAdvantageGroups);
    }

    /**
     * @param objectiveDefault the method objective's own choice
     * @return whether all-zero-advantage groups are skipped in this run
     */
    public boolean skipZeroAdvantageGroups(boolean objectiveDefault) {
        return skipZeroAdvantageGroups == null ? objectiveDefault : skipZeroAdvantageGroups;
    }

    /**
     * @return images per mixed-prompt micro-batch when the epoch's images are shuffled across prompts
     *     (GARDO's scripts: 9), or 0 (default) for micro-batches of whole groups
     */
    public int shuffledImagesPerMicroBatch() {
        return shuffledImagesPerMicroBatch;
    }

    /** @return how long scoring of one sampling batch may take before the epoch fails */
    public Duration rewardTimeout() {
        return rewardTimeout;
    }

    /** @return threads scoring in parallel with sampling */
    public int rewardThreads() {
        return rewardThreads;
    }

    /** @return this config as JSON (saved next to checkpoints) */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("prompts_per_epoch", promptsPerEpoch);
        n.put("group_size", groupSize);
        n.put("prompts_per_sampling_batch", promptsPerSamplingBatch);
        n.put("optimizer_steps_per_epoch", optimizerStepsPerEpoch);
        n.put("groups_per_micro_batch", groupsPerMicroBatch);
        n.put("images_per_micro_batch", imagesPerMicroBatch);
        n.put("learning_rate", learningRate);
        if (learningRateSchedule != LearningRateSchedule.constant()) {
            // written only when it is not the default, so configs of constant-rate runs read as before
            n.put("learning_rate_schedule", learningRateSchedule.describe());
        }
        n.put("beta1", beta1);
        n.put("beta2", beta2);
        n.put("weight_decay", weightDecay);
        n.put("adam_epsilon", adamEpsilon);
        n.put("grad_clip", gradClip);
        n.put("seed", seed);
        if (skipZeroAdvantageGroups == null) {
            n.put("skip_zero_advantage_groups", "method");
        } else {
            n.put("skip_zero_advantage_groups", skipZeroAdvantageGroups);
        }
        n.put("shuffled_images_per_micro_batch", shuffledImagesPerMicroBatch);
        n.put("reward_timeout_ms", rewardTimeout.toMillis());
        n.put("reward_threads", rewardThreads);
        return n;
    }

    @Override
    public String toString() {
        return toJson().toString();
    }

    /** Builder for {@link TrainerConfig}. */
    public static final class Builder {
        private int promptsPerEpoch = 48;
        private int groupSize = 24;
        private int promptsPerSamplingBatch = 1;
        private int optimizerStepsPerEpoch = 2;
        private int groupsPerMicroBatch = 1;
        private Integer imagesPerMicroBatch;
        private double learningRate = 3e-4;
        private LearningRateSchedule learningRateSchedule = LearningRateSchedule.constant();
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double weightDecay = 1e-4;
        private double adamEpsilon = 1e-8;
        private double gradClip = 1.0;
        private long seed = 42;
        private Boolean skipZeroAdvantageGroups;
        private int shuffledImagesPerMicroBatch;
        private Duration rewardTimeout = Duration.ofMinutes(10);
        private int rewardThreads = 2;

        private Builder() {}

        /** @param v P (default 48) @return this */
        public Builder optPromptsPerEpoch(int v) {
            promptsPerEpoch = v;
            return this;
        }

        /** @param v G (default 24) @return this */
        public Builder optGroupSize(int v) {
            groupSize = v;
            return this;
        }

        /** @param v prompts per sampling batch, dividing P (default 1) @return this */
        public Builder optPromptsPerSamplingBatch(int v) {
            promptsPerSamplingBatch = v;
            return this;
        }

        /** @param v K (default 2) @return this */
        public Builder optOptimizerStepsPerEpoch(int v) {
            optimizerStepsPerEpoch = v;
            return this;
        }

        /** @param v whole groups per micro-batch, dividing the sampling batch (default 1) @return this */
        public Builder optGroupsPerMicroBatch(int v) {
            groupsPerMicroBatch = v;
            return this;
        }

        /**
         * Micro-batches smaller than a group, for when a backward pass over G images does not fit in
         * memory: each group then trains as G / v micro-batches of v consecutive rows (gradient
         * accumulation over all of them; an optimizer step still covers whole groups). Objectives
         * that need a group statistic get it from {@code MicroBatch.groups()} (CRD: one extra no-grad
         * forward of the group per pass). Must divide G, with {@code groupsPerMicroBatch} 1; a value
         * of G or more must equal {@code groupsPerMicroBatch x G}.
         *
         * @param v images per micro-batch (default {@code groupsPerMicroBatch x groupSize}: whole groups)
         * @return this
         */
        public Builder optImagesPerMicroBatch(int v) {
            imagesPerMicroBatch = v;
            return this;
        }

        /**
         * @param v how the rate changes over optimizer steps, a factor of the learning rate (default
         *     constant, as every method's reference code)
         * @return this
         */
        public Builder optLearningRateSchedule(LearningRateSchedule v) {
            learningRateSchedule = v;
            return this;
        }

        /** @param v AdamW (peak) learning rate (default 3e-4) @return this */
        public Builder optLearningRate(double v) {
            learningRate = v;
            return this;
        }

        /** @param b1 beta1 (default 0.9) @param b2 beta2 (default 0.999) @return this */
        public Builder optBetas(double b1, double b2) {
            beta1 = b1;
            beta2 = b2;
            return this;
        }

        /** @param v weight decay (default 1e-4) @return this */
        public Builder optWeightDecay(double v) {
            weightDecay = v;
            return this;
        }

        /** @param v AdamW epsilon (default 1e-8) @return this */
        public Builder optAdamEpsilon(double v) {
            adamEpsilon = v;
            return this;
        }

        /** @param v max gradient norm, 0 = no clipping (default 1) @return this */
        public Builder optGradClip(double v) {
            gradClip = v;
            return this;
        }

        /** @param v the run's seed (default 42) @return this */
        public Builder optSeed(long v) {
            seed = v;
            return this;
        }

        /**
         * @param v leave all-zero-advantage groups out of the update (true) or train on them (false);
         *     default: the method's choice
         * @return this
         */
        public Builder optSkipZeroAdvantageGroups(boolean v) {
            skipZeroAdvantageGroups = v;
            return this;
        }

        /**
         * Mixed-prompt micro-batches, as GARDO's scripts train: the rows of every group that trains
         * are shuffled across the whole epoch and cut into micro-batches of {@code v} images (the last
         * one keeps the remainder), split evenly over the optimizer steps. For objectives whose loss
         * is a mean of per-sample terms (Flow-GRPO, DiffusionNFT and GARDO on them); not for CRD,
         * whose centring needs whole groups, nor with a Flow-GRPO-Fast window placed per sampling
         * batch. Incompatible with {@link #optImagesPerMicroBatch} parts of a group.
         *
         * @param v images per micro-batch (GARDO: 9), or 0 for whole groups (default)
         * @return this
         */
        public Builder optShuffledMicroBatches(int v) {
            shuffledImagesPerMicroBatch = v;
            return this;
        }

        /** @param v time allowed to score one sampling batch (default 10 min) @return this */
        public Builder optRewardTimeout(Duration v) {
            rewardTimeout = v;
            return this;
        }

        /** @param v scoring threads (default 2) @return this */
        public Builder optRewardThreads(int v) {
            rewardThreads = v;
            return this;
        }

        /** @return the config @throws IllegalArgumentException naming the first bad field */
        public TrainerConfig build() {
            atLeast("promptsPerEpoch", promptsPerEpoch, 1);
            if (groupSize < 2) {
                throw new IllegalArgumentException("groupSize must be >= 2 (a group of 1 has no within-prompt signal), got "
                        + groupSize);
            }
            atLeast("promptsPerSamplingBatch", promptsPerSamplingBatch, 1);
            atLeast("optimizerStepsPerEpoch", optimizerStepsPerEpoch, 1);
            atLeast("groupsPerMicroBatch", groupsPerMicroBatch, 1);
            atLeast("rewardThreads", rewardThreads, 1);
            if (learningRateSchedule == null) {
                throw new IllegalArgumentException("learningRateSchedule must not be null (LearningRateSchedule.constant() "
                        + "keeps the rate fixed)");
            }
            if (promptsPerEpoch % promptsPerSamplingBatch != 0) {
                throw new IllegalArgumentException("promptsPerSamplingBatch " + promptsPerSamplingBatch
                        + " must divide promptsPerEpoch " + promptsPerEpoch);
            }
            if (promptsPerSamplingBatch % groupsPerMicroBatch != 0) {
                throw new IllegalArgumentException("groupsPerMicroBatch " + groupsPerMicroBatch
                        + " must divide promptsPerSamplingBatch " + promptsPerSamplingBatch);
            }
            if (imagesPerMicroBatch != null) {
                checkImagesPerMicroBatch(imagesPerMicroBatch);
            }
            if (shuffledImagesPerMicroBatch == 0 && promptsPerEpoch / groupsPerMicroBatch < optimizerStepsPerEpoch) {
                throw new IllegalArgumentException("optimizerStepsPerEpoch " + optimizerStepsPerEpoch + " exceeds the "
                        + promptsPerEpoch / groupsPerMicroBatch + " micro-batches of an epoch");
            }
            atLeast("shuffledImagesPerMicroBatch", shuffledImagesPerMicroBatch, 0);
            if (shuffledImagesPerMicroBatch > 0) {
                if (imagesPerMicroBatch != null && imagesPerMicroBatch < groupSize) {
                    throw new IllegalArgumentException("shuffledImagesPerMicroBatch " + shuffledImagesPerMicroBatch
                            + " cannot be combined with imagesPerMicroBatch " + imagesPerMicroBatch + " (parts of a group)");
                }
                int micro = (promptsPerEpoch * groupSize + shuffledImagesPerMicroBatch - 1) / shuffledImagesPerMicroBatch;
                if (micro < optimizerStepsPerEpoch) {
                    throw new IllegalArgumentException("optimizerStepsPerEpoch " + optimizerStepsPerEpoch + " exceeds the "
                            + micro + " shuffled micro-batches of an epoch");
                }
            }
            long imagesPerEpoch = (long) promptsPerEpoch * groupSize;
            if (imagesPerEpoch > MAX_IMAGES_PER_EPOCH) {
                throw new IllegalArgumentException("promptsPerEpoch " + promptsPerEpoch + " x groupSize " + groupSize + " = "
                        + imagesPerEpoch + " images per epoch exceeds " + MAX_IMAGES_PER_EPOCH
                        + ": an epoch keeps all its rollouts in memory until its update");
            }
            positive("learningRate", learningRate);
            unitInterval("beta1", beta1);
            unitInterval("beta2", beta2);
            if (!(weightDecay >= 0) || Double.isInfinite(weightDecay)) {
                throw new IllegalArgumentException("weightDecay must be finite and >= 0, got " + weightDecay);
            }
            positive("adamEpsilon", adamEpsilon);
            if (!(gradClip >= 0) || Double.isInfinite(gradClip)) {
                throw new IllegalArgumentException("gradClip must be finite and > 0, or 0 to disable clipping, got "
                        + gradClip);
            }
            if (rewardTimeout == null || rewardTimeout.isNegative() || rewardTimeout.isZero()) {
                throw new IllegalArgumentException("rewardTimeout must be positive, got " + rewardTimeout);
            }
            return new TrainerConfig(this);
        }

        private void checkImagesPerMicroBatch(int m) {
            atLeast("imagesPerMicroBatch", m, 1);
            if (m < groupSize) {
                if (groupSize % m != 0) {
                    throw new IllegalArgumentException("imagesPerMicroBatch " + m + " must divide groupSize " + groupSize
                            + ": a micro-batch smaller than a group holds an equal part of one group");
                }
                if (groupsPerMicroBatch != 1) {
                    throw new IllegalArgumentException("imagesPerMicroBatch " + m + " is smaller than a group (groupSize "
                            + groupSize + "), so groupsPerMicroBatch must be 1, got " + groupsPerMicroBatch);
                }
            } else if (m != groupsPerMicroBatch * groupSize) {
                throw new IllegalArgumentException("imagesPerMicroBatch " + m + " must divide groupSize " + groupSize
                        + " or equal groupsPerMicroBatch x groupSize = " + groupsPerMicroBatch * groupSize
                        + " (use groupsPerMicroBatch to pack several whole groups)");
            }
        }

        private static void atLeast(String field, int value, int min) {
            if (value < min) {
                throw new IllegalArgumentException(field + " must be >= " + min + ", got " + value);
            }
        }

        private static void unitInterval(String field, double value) {
            if (!(value >= 0 && value < 1)) {
                throw new IllegalArgumentException(field + " must be in [0, 1), got " + value);
            }
        }

        private static void positive(String field, double value) {
            if (!(value > 0) || Double.isInfinite(value)) {
                throw new IllegalArgumentException(field + " must be finite and > 0, got " + value);
            }
        }
    }
}
