package io.diffrl4j.core.adapter;

import java.util.List;

/**
 * Where LoRA adapters go and how they start: rank r, scale {@code alpha / r}, Gaussian A with
 * standard deviation {@code 1 / r} (PEFT's "gaussian" init) and zero B, so a fresh adapter leaves
 * the model unchanged. Defaults are the SD3.5-Medium recipe of docs/ALGORITHMS.md section 8: r 32, alpha
 * 64, on the attention projections. Immutable; validated when built.
 */
public final class LoraConfig {
    /**
     * The projections of SD3's joint attention {@code attn} (diffusers module names), exactly the
     * {@code target_modules} of Flow-GRPO's, DiffusionNFT's and GARDO's SD3.5 LoRAs: the SD3.5
     * image-only {@code attn2} of the dual-attention blocks is not adapted, so their checkpoints
     * load here and ours load there.
     */
    public static final List<String> ATTENTION_PROJECTIONS = List.of("attn.to_q", "attn.to_k", "attn.to_v",
            "attn.to_out.0", "attn.add_q_proj", "attn.add_k_proj", "attn.add_v_proj", "attn.to_add_out");

    private final int rank;
    private final double alpha;
    private final List<String> targetModules;

    private LoraConfig(Builder b) {
        this.rank = b.rank;
        this.alpha = b.alpha;
        this.targetModules = List.copyOf(b.targetModules);
    }

    /** @return a builder with the SD3.5-Medium defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the rank r */
    public int rank() {
        return rank;
    }

    /** @return lora_alpha */
    public double alpha() {
        return alpha;
    }

    /** @return {@code alpha / r}, the factor applied to {@code B A x} */
    public double scale() {
        return alpha / rank;
    }

    /** @return the standard deviation of A's Gaussian init */
    public double initStd() {
        return 1.0 / rank;
    }

    /** @return module name suffixes that get an adapter, e.g. {@code to_q} or {@code to_out.0} */
    public List<String> targetModules() {
        return targetModules;
    }

    /**
     * @param modulePath a full diffusers module path, e.g. {@code transformer_blocks.3.attn.to_q}
     * @return true when the path ends with one of the target names
     */
    public boolean targets(String modulePath) {
        for (String t : targetModules) {
            if (modulePath.equals(t) || modulePath.endsWith("." + t)) {
                return true;
            }
        }
        return false;
    }

    @Override
    public String toString() {
        return "LoraConfig{rank=" + rank + ", alpha=" + alpha + ", targets=" + targetModules + "}";
    }

    /** Builder for {@link LoraConfig}. */
    public static final class Builder {
        private int rank = 32;
        private double alpha = 64;
        private List<String> targetModules = ATTENTION_PROJECTIONS;

        private Builder() {}

        /** @param rank r, at least 1 (default 32) @return this */
        public Builder optRank(int rank) {
            this.rank = rank;
            return this;
        }

        /** @param alpha lora_alpha, positive (default 64) @return this */
        public Builder optAlpha(double alpha) {
            this.alpha = alpha;
            return this;
        }

        /** @param modules module name suffixes to adapt (default the attention projections) @return this */
        public Builder optTargetModules(List<String> modules) {
            this.targetModules = modules;
            return this;
        }

        /** @return the config @throws IllegalArgumentException naming the bad field */
        public LoraConfig build() {
            if (rank < 1) {
                throw new IllegalArgumentException("rank must be >= 1, got " + rank);
            }
            if (!(alpha > 0) || Double.isInfinite(alpha)) {
                throw new IllegalArgumentException("alpha must be finite and > 0, got " + alpha);
            }
            if (targetModules == null || targetModules.isEmpty()) {
                throw new IllegalArgumentException("targetModules must name at least one module");
            }
            return new LoraConfig(this);
        }
    }
}
