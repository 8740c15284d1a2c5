package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.adapter.AdapterRoles;

/**
 * The settings of GARDO's adaptive reference (docs/ALGORITHMS.md 6.2). Immutable; start from
 * {@link #flowGrpo()} (fixed threshold 3e-4) or {@link #diffusionNft()} (adaptive threshold from
 * 0.15); {@code build()} checks every field and names the first bad one.
 */
public final class AdaptiveReferenceConfig {
    /** The gated KL metric {@link GatedKl} reports, compared with the threshold by default. */
    public static final String GATED_METRIC = "kl_gated";
    /** The cap GARDO's NFT script puts on the raised threshold ({@code min(thres + 1e-2, 5e-2)}). */
    public static final double REFERENCE_NFT_CEILING = 0.05;
    /** The ungated KL metric every KL regularizer reports. */
    public static final String UNGATED_METRIC = "kl";

    private final String target;
    private final String source;
    private final String metric;
    private final double klThreshold;
    private final int maxEpochs;
    private final boolean adaptiveThreshold;
    private final double thresholdDecrease;
    private final double thresholdFloor;
    private final double thresholdIncrease;
    private final double thresholdCeiling;
    private final int shortGap;

    private AdaptiveReferenceConfig(Builder b) {
        this.target = b.target;
        this.source = b.source;
        this.metric = b.metric;
        this.klThreshold = b.klThreshold;
        this.maxEpochs = b.maxEpochs;
        this.adaptiveThreshold = b.adaptiveThreshold;
        this.thresholdDecrease = b.thresholdDecrease;
        this.thresholdFloor = b.thresholdFloor;
        this.thresholdIncrease = b.thresholdIncrease;
        this.thresholdCeiling = b.thresholdCeiling;
        this.shortGap = b.shortGap;
    }

    /** @return a builder for GARDO on Flow-GRPO: threshold 3e-4 on "kl_gated", renewal after 15 epochs at most */
    public static Builder flowGrpo() {
        return new Builder();
    }

    /**
     * @return a builder for GARDO on DiffusionNFT, as its script ({@code train_sd3_nft_gardo.py}) does:
     *     an adaptive threshold starting at 0.15; after a renewal that waited more than 15 epochs,
     *     {@code thres = max(thres - 0.01, 0.1)}; after one within fewer than 5 epochs,
     *     {@code thres = min(thres + 0.01, 0.05)}. That second line sets any threshold above 0.05 to
     *     0.05 (0.15 becomes 0.05 after the first quick renewal), and a later slow renewal then sets
     *     it to the floor 0.1: the cap lies below both the start and the floor, which looks like a bug
     *     in the reference (swapped bounds); it is followed here because it is the code the authors
     *     ran. {@code optThresholdIncrease(0.01, Double.POSITIVE_INFINITY)} gives the paper's reading
     *     (a quick renewal raises the threshold)
     */
    public static Builder diffusionNft() {
        return new Builder().optKlThreshold(0.15).optAdaptiveThreshold(true)
                .optThresholdIncrease(0.01, REFERENCE_NFT_CEILING);
    }

    /**
     * @param newMetric the step metric to compare with the threshold
     * @return a copy of this config with that metric
     */
    public AdaptiveReferenceConfig withMetric(String newMetric) {
        Builder b = new Builder();
        b.target = target;
        b.source = source;
        b.metric = newMetric;
        b.klThreshold = klThreshold;
        b.maxEpochs = maxEpochs;
        b.adaptiveThreshold = adaptiveThreshold;
        b.thresholdDecrease = thresholdDecrease;
        b.thresholdFloor = thresholdFloor;
        b.thresholdIncrease = thresholdIncrease;
        b.thresholdCeiling = thresholdCeiling;
        b.shortGap = shortGap;
        return b.build();
    }

    /** @return the snapshot set that is renewed (default {@link AdapterRoles#REFERENCE}) */
    public String target() {
        return target;
    }

    /** @return the set copied into it (default {@link AdapterRoles#POLICY}) */
    public String source() {
        return source;
    }

    /**
     * @return the step metric compared with the threshold (default "kl_gated", the gated KL average
     *     the official code compares: {@code info["kl_loss"] > thres} in its Flow-GRPO script,
     *     {@code reduced_log_info["kl_div_loss"] > thres} in its DiffusionNFT script; "kl" is the
     *     ungated mean; GARDO with the gate off uses "kl")
     */
    public String metric() {
        return metric;
    }

    /** @return the (starting) KL threshold (default 3e-4; 0.15 for DiffusionNFT) */
    public double klThreshold() {
        return klThreshold;
    }

    /** @return renew when more than this many epochs passed since the last renewal (default 15) */
    public int maxEpochs() {
        return maxEpochs;
    }

    /** @return whether the threshold adapts at each renewal (default false; true for DiffusionNFT) */
    public boolean adaptiveThreshold() {
        return adaptiveThreshold;
    }

    /** @return how much the threshold drops after a renewal forced by the epoch limit (default 0.01) */
    public double thresholdDecrease() {
        return thresholdDecrease;
    }

    /** @return the threshold never drops below this (default 0.1) */
    public double thresholdFloor() {
        return thresholdFloor;
    }

    /** @return how much the threshold rises after a renewal that came quickly (default 0.01) */
    public double thresholdIncrease() {
        return thresholdIncrease;
    }

    /**
     * @return a quick renewal sets the threshold to at most this (default +infinity; 0.05 from
     *     {@link #diffusionNft()}, as the official code, whose cap below its own start of 0.15 looks
     *     unintended)
     */
    public double thresholdCeiling() {
        return thresholdCeiling;
    }

    /** @return a renewal within fewer epochs than this raises the threshold (default 5) */
    public int shortGap() {
        return shortGap;
    }

    @Override
    public String toString() {
        return "AdaptiveReferenceConfig{" + source + " -> " + target + ", " + metric + " > " + klThreshold
                + (adaptiveThreshold ? " (adaptive: -" + thresholdDecrease + " >= " + thresholdFloor + ", +"
                        + thresholdIncrease + " <= " + thresholdCeiling + ", short gap " + shortGap + ")" : "")
                + " or more than " + maxEpochs + " epochs}";
    }

    /** Builder; validated by {@link #build()}. */
    public static final class Builder {
        private String target = AdapterRoles.REFERENCE;
        private String source = AdapterRoles.POLICY;
        private String metric = GATED_METRIC;
        private double klThreshold = 3e-4;
        private int maxEpochs = 15;
        private boolean adaptiveThreshold = false;
        private double thresholdDecrease = 0.01;
        private double thresholdFloor = 0.1;
        private double thresholdIncrease = 0.01;
        private double thresholdCeiling = Double.POSITIVE_INFINITY;
        private int shortGap = 5;

        private Builder() {}

        /** @param target the snapshot set to renew @return this */
        public Builder optTarget(String target) {
            this.target = target;
            return this;
        }

        /** @param source the set copied into the target @return this */
        public Builder optSource(String source) {
            this.source = source;
            return this;
        }

        /** @param metric the step metric compared with the threshold @return this */
        public Builder optMetric(String metric) {
            this.metric = metric;
            return this;
        }

        /** @param threshold the (starting) KL threshold, finite and {@code >= 0} @return this */
        public Builder optKlThreshold(double threshold) {
            this.klThreshold = threshold;
            return this;
        }

        /** @param epochs renew after more than this many epochs, at least 1 @return this */
        public Builder optMaxEpochs(int epochs) {
            this.maxEpochs = epochs;
            return this;
        }

        /** @param adaptive whether the threshold adapts at renewals @return this */
        public Builder optAdaptiveThreshold(boolean adaptive) {
            this.adaptiveThreshold = adaptive;
            return this;
        }

        /**
         * @param decrease drop after a renewal forced by the epoch limit, {@code >= 0}
         * @param floor the lowest threshold, {@code >= 0}
         * @return this
         */
        public Builder optThresholdDecrease(double decrease, double floor) {
            this.thresholdDecrease = decrease;
            this.thresholdFloor = floor;
            return this;
        }

        /**
         * @param increase rise after a quick renewal, {@code >= 0}
         * @param ceiling the highest threshold after a rise, {@code >= 0} (may be infinite; the official
         *     code uses 0.05)
         * @return this
         */
        public Builder optThresholdIncrease(double increase, double ceiling) {
            this.thresholdIncrease = increase;
            this.thresholdCeiling = ceiling;
            return this;
        }

        /** @param epochs a renewal within fewer epochs raises the threshold, {@code >= 0} @return this */
        public Builder optShortGap(int epochs) {
            this.shortGap = epochs;
            return this;
        }

        /**
         * @return the config
         * @throws IllegalArgumentException naming the first bad field
         */
        public AdaptiveReferenceConfig build() {
            if (target == null || target.isBlank()) {
                throw new IllegalArgumentException("target must name an adapter set");
            }
            if (source == null || source.isBlank()) {
                throw new IllegalArgumentException("source must name an adapter set");
            }
            if (target.equals(source)) {
                throw new IllegalArgumentException("target and source must differ, both are '" + target + "'");
            }
            if (metric == null || metric.isBlank()) {
                throw new IllegalArgumentException("metric must name a step metric");
            }
            if (!(klThreshold >= 0) || Double.isInfinite(klThreshold)) {
                throw new IllegalArgumentException("klThreshold must be finite and >= 0, got " + klThreshold);
            }
            if (maxEpochs < 1) {
                throw new IllegalArgumentException("maxEpochs must be >= 1, got " + maxEpochs);
            }
            if (!(thresholdDecrease >= 0) || Double.isInfinite(thresholdDecrease)) {
                throw new IllegalArgumentException("thresholdDecrease must be finite and >= 0, got " + thresholdDecrease);
            }
            if (!(thresholdFloor >= 0) || Double.isInfinite(thresholdFloor)) {
                throw new IllegalArgumentException("thresholdFloor must be finite and >= 0, got " + thresholdFloor);
            }
            if (!(thresholdIncrease >= 0) || Double.isInfinite(thresholdIncrease)) {
                throw new IllegalArgumentException("thresholdIncrease must be finite and >= 0, got " + thresholdIncrease);
            }
            // A ceiling below the floor is allowed: the official NFT code caps at 0.05 with a floor of 0.1.
            if (!(thresholdCeiling >= 0)) {
                throw new IllegalArgumentException("thresholdCeiling must be >= 0 (may be infinite), got " + thresholdCeiling);
            }
            if (shortGap < 0) {
                throw new IllegalArgumentException("shortGap must be >= 0, got " + shortGap);
            }
            return new AdaptiveReferenceConfig(this);
        }
    }
}
