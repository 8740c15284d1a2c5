package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.reward.ImageEmbedder;

/**
 * GARDO's settings on top of a base algorithm: the KL coefficient and the three parts (gated KL,
 * adaptive reference, diversity-aware advantage), each of which can be switched off alone for
 * ablations. Immutable; start from {@link #forFlowGrpo()} or {@link #forDiffusionNft()} (the
 * paper's defaults for each base), whose {@code build()} checks every field and names the first
 * bad one.
 *
 * <p>Switching a part off gives: gate off, a plain KL on every sample (still against the adaptive
 * reference); adaptive reference off, a KL against the pretrained model and no reference snapshot;
 * diversity off, the base's group-relative advantage.
 */
public final class GardoConfig {
    private final double klBeta;
    private final boolean gate;
    private final GateConfig gateConfig;
    private final boolean adaptiveReference;
    private final AdaptiveReferenceConfig referenceConfig;
    private final boolean diversity;
    private final ImageEmbedder embedder;
    private final double advantageClip;
    private final boolean klOnAllWhenNoneGated;
    private final boolean advantageBatchStd;

    private GardoConfig(Builder b) {
        this.klBeta = b.klBeta;
        this.gate = b.gate;
        this.gateConfig = b.gateConfig;
        this.adaptiveReference = b.adaptiveReference;
        this.referenceConfig = b.referenceConfig;
        this.diversity = b.diversity;
        this.embedder = b.embedder;
        this.klOnAllWhenNoneGated = b.klOnAllWhenNoneGated;
        this.advantageClip = b.advantageClip;
        this.advantageBatchStd = b.advantageBatchStd;
    }

    /**
     * @return a builder with GARDO's Flow-GRPO defaults: KL beta 0.07 (GenEval; 0.04 for OCR, 0.01
     *     for Flux), the paper's gate, a fixed renewal threshold of 3e-4 on "kl", at most 15 epochs
     *     between renewals, diversity shaping on (set an embedder)
     */
    public static Builder forFlowGrpo() {
        return new Builder(0.07, AdaptiveReferenceConfig.flowGrpo().build());
    }

    /**
     * @return a builder with GARDO's DiffusionNFT defaults: velocity-MSE KL with beta 0.04, the
     *     paper's gate, the adaptive renewal threshold starting at 0.15, diversity shaping on (set an
     *     embedder)
     */
    public static Builder forDiffusionNft() {
        return new Builder(0.04, AdaptiveReferenceConfig.diffusionNft().build()).optKlOnAllWhenNoneGated(true);
    }

    /** @return the KL coefficient beta; it replaces the base algorithm's (0 disables the KL and the reference) */
    public double klBeta() {
        return klBeta;
    }

    /** @return whether the KL is gated (default true) */
    public boolean gate() {
        return gate;
    }

    /** @return the gate's settings */
    public GateConfig gateConfig() {
        return gateConfig;
    }

    /** @return whether the KL reference is the renewed snapshot (default true) or the pretrained model */
    public boolean adaptiveReference() {
        return adaptiveReference;
    }

    /** @return the adaptive reference's settings */
    public AdaptiveReferenceConfig referenceConfig() {
        return referenceConfig;
    }

    /** @return whether advantages are diversity-aware (default true) or the base's group-relative ones */
    public boolean diversity() {
        return diversity;
    }

    /** @return the image embedder of the diversity shaping, or null when diversity is off */
    public ImageEmbedder embedder() {
        return embedder;
    }

    /**
     * @return whether a micro-batch in which nothing is gated gets the KL on every sample (default
     *     false, GARDO's Flow-GRPO script; true from {@link #forDiffusionNft()}, its NFT script's
     *     {@code else: kl_div_loss = ((v - v_ref)^2).mean()})
     */
    public boolean klOnAllWhenNoneGated() {
        return klOnAllWhenNoneGated;
    }

    /** @return the clip of the diversity-aware advantage (default 5) */
    public double advantageClip() {
        return advantageClip;
    }

    /**
     * @return whether the diversity-aware advantage is also divided by the batch's reward std +
     *     1e-4 as Flow-GRPO's is (default false, as GARDO's code; true is an ablation that puts
     *     GARDO's policy term on Flow-GRPO's scale)
     */
    public boolean advantageBatchStd() {
        return advantageBatchStd;
    }

    @Override
    public String toString() {
        return "GardoConfig{beta=" + klBeta + ", gate=" + (gate ? gateConfig : "off") + ", reference="
                + (adaptiveReference ? referenceConfig : "pretrained") + ", diversity="
                + (diversity ? embedder.getClass().getSimpleName() + " clip " + advantageClip
                        + (advantageBatchStd ? ", divided by the batch std" : "") : "off") + "}";
    }

    /** Builder; validated by {@link #build()}. */
    public static final class Builder {
        private double klBeta;
        private boolean gate = true;
        private GateConfig gateConfig = GateConfig.builder().build();
        private boolean adaptiveReference = true;
        private AdaptiveReferenceConfig referenceConfig;
        private boolean diversity = true;
        private ImageEmbedder embedder;
        private double advantageClip = DiversityAwareAdvantage.DEFAULT_CLIP;
        private boolean klOnAllWhenNoneGated;
        private boolean advantageBatchStd;

        private Builder(double klBeta, AdaptiveReferenceConfig referenceConfig) {
            this.klBeta = klBeta;
            this.referenceConfig = referenceConfig;
        }

        /** @param beta the KL coefficient, finite and {@code >= 0} @return this */
        public Builder optKlBeta(double beta) {
            this.klBeta = beta;
            return this;
        }

        /** @param on gate the KL (true) or apply it to every sample (false) @return this */
        public Builder optGate(boolean on) {
            this.gate = on;
            return this;
        }

        /** @param config the gate's settings @return this */
        public Builder optGateConfig(GateConfig config) {
            this.gateConfig = config;
            return this;
        }

        /** @param on renew the reference (true) or regularise towards the pretrained model (false) @return this */
        public Builder optAdaptiveReference(boolean on) {
            this.adaptiveReference = on;
            return this;
        }

        /** @param config the adaptive reference's settings @return this */
        public Builder optReferenceConfig(AdaptiveReferenceConfig config) {
            this.referenceConfig = config;
            return this;
        }

        /** @param on diversity-aware advantages (true) or the base's (false) @return this */
        public Builder optDiversity(boolean on) {
            this.diversity = on;
            return this;
        }

        /**
         * @param embedder image features for the diversity shaping (required while diversity is on),
         *     e.g. {@code io.diffrl4j.rewards.embed.RandomProjectionEmbedder}
         * @return this
         */
        public Builder optEmbedder(ImageEmbedder embedder) {
            this.embedder = embedder;
            return this;
        }

        /**
         * @param on apply the KL to every sample of a micro-batch with nothing gated (true) or to none
         * @return this
         */
        public Builder optKlOnAllWhenNoneGated(boolean on) {
            this.klOnAllWhenNoneGated = on;
            return this;
        }

        /** @param clip the diversity-aware advantage's clip, finite and {@code > 0} @return this */
        public Builder optAdvantageClip(double clip) {
            this.advantageClip = clip;
            return this;
        }

        /**
         * @param on divide the diversity-aware advantage by the batch's reward std + 1e-4 (default false)
         * @return this
         */
        public Builder optAdvantageBatchStd(boolean on) {
            this.advantageBatchStd = on;
            return this;
        }

        /**
         * @return the config
         * @throws IllegalArgumentException naming the first bad field
         */
        public GardoConfig build() {
            if (!(klBeta >= 0) || Double.isInfinite(klBeta)) {
                throw new IllegalArgumentException("klBeta must be finite and >= 0, got " + klBeta);
            }
            if (gateConfig == null) {
                throw new IllegalArgumentException("gateConfig must not be null");
            }
            if (referenceConfig == null) {
                throw new IllegalArgumentException("referenceConfig must not be null");
            }
            if (diversity && embedder == null) {
                throw new IllegalArgumentException("embedder must be set while diversity shaping is on (e.g. "
                        + "io.diffrl4j.rewards.embed.RandomProjectionEmbedder), or switch it off with optDiversity(false)");
            }
            if (!(advantageClip > 0) || Double.isInfinite(advantageClip)) {
                throw new IllegalArgumentException("advantageClip must be finite and > 0, got " + advantageClip);
            }
            return new GardoConfig(this);
        }
    }
}
