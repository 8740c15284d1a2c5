package io.diffrl4j.models.vae;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * The shape of a diffusers {@code AutoencoderKL}, with the field names of its {@code config.json},
 * so the same class describes the tiny test VAE and SD3.5-Medium's ({@link #sd35Medium()}).
 * Immutable; validated when built: only {@code DownEncoderBlock2D} / {@code UpDecoderBlock2D}
 * blocks and the SiLU activation are supported, and a bad value fails with a message naming the
 * field, the value and what is allowed.
 *
 * <p>{@link #scalingFactor()} and {@link #shiftFactor()} define the pipeline's latent space:
 * {@code latents = (z - shift) * scaling} where {@code z} is the encoder's latent.
 */
public final class VaeConfig {
    /** The only encoder block type diffusers' AutoencoderKL builds and this package supports. */
    public static final String DOWN_BLOCK = "DownEncoderBlock2D";
    /** The only decoder block type diffusers' AutoencoderKL builds and this package supports. */
    public static final String UP_BLOCK = "UpDecoderBlock2D";

    private static final ObjectMapper JSON = new ObjectMapper();

    private final int inChannels;
    private final int outChannels;
    private final int latentChannels;
    private final List<Integer> blockOutChannels;
    private final int layersPerBlock;
    private final int normNumGroups;
    private final List<String> downBlockTypes;
    private final List<String> upBlockTypes;
    private final String actFn;
    private final boolean useQuantConv;
    private final boolean usePostQuantConv;
    private final double scalingFactor;
    private final double shiftFactor;
    private final int sampleSize;
    private final boolean midBlockAddAttention;

    private VaeConfig(Builder b) {
        inChannels = b.inChannels;
        outChannels = b.outChannels;
        latentChannels = b.latentChannels;
        blockOutChannels = List.copyOf(b.blockOutChannels);
        layersPerBlock = b.layersPerBlock;
        normNumGroups = b.normNumGroups;
        downBlockTypes = b.downBlockTypes == null ? Collections.nCopies(blockOutChannels.size(), DOWN_BLOCK)
                : List.copyOf(b.downBlockTypes);
        upBlockTypes = b.upBlockTypes == null ? Collections.nCopies(blockOutChannels.size(), UP_BLOCK)
                : List.copyOf(b.upBlockTypes);
        actFn = b.actFn;
        useQuantConv = b.useQuantConv;
        usePostQuantConv = b.usePostQuantConv;
        scalingFactor = b.scalingFactor;
        shiftFactor = b.shiftFactor;
        sampleSize = b.sampleSize;
        midBlockAddAttention = b.midBlockAddAttention;
    }

    /** @return a builder with diffusers' {@code AutoencoderKL} constructor defaults */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the VAE of Stable Diffusion 3.5 Medium (16 latent channels, 8x downscaling) */
    public static VaeConfig sd35Medium() {
        return builder().optLatentChannels(16).optBlockOutChannels(List.of(128, 256, 512, 512)).optLayersPerBlock(2)
                .optNormNumGroups(32).optSampleSize(1024).optScalingFactor(1.5305).optShiftFactor(0.0609)
                .optUseQuantConv(false).optUsePostQuantConv(false).build();
    }

    /**
     * Reads a diffusers {@code config.json}; fields this model does not use ({@code _class_name},
     * {@code force_upcast}, {@code latents_mean}, ...) are ignored.
     *
     * @param file the JSON file
     * @return the validated config
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the file and the bad field
     */
    public static VaeConfig fromJson(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read VAE config " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("VAE config " + file + ": " + e.getMessage(), e);
        }
    }

    /** @param n a parsed {@code config.json} @return the validated config */
    public static VaeConfig fromJson(JsonNode n) {
        Builder b = builder();
        b.inChannels = n.path("in_channels").asInt(b.inChannels);
        b.outChannels = n.path("out_channels").asInt(b.outChannels);
        b.latentChannels = n.path("latent_channels").asInt(b.latentChannels);
        if (n.has("block_out_channels")) {
            b.blockOutChannels = ints(n.get("block_out_channels"));
        }
        b.layersPerBlock = n.path("layers_per_block").asInt(b.layersPerBlock);
        b.normNumGroups = n.path("norm_num_groups").asInt(b.normNumGroups);
        if (n.has("down_block_types")) {
            b.downBlockTypes = strings(n.get("down_block_types"));
        }
        if (n.has("up_block_types")) {
            b.upBlockTypes = strings(n.get("up_block_types"));
        }
        b.actFn = n.path("act_fn").asText(b.actFn);
        b.useQuantConv = n.path("use_quant_conv").asBoolean(b.useQuantConv);
        b.usePostQuantConv = n.path("use_post_quant_conv").asBoolean(b.usePostQuantConv);
        b.scalingFactor = n.path("scaling_factor").asDouble(b.scalingFactor);
        // diffusers stores "shift_factor": null for VAEs without a shift (SD 1.x, SDXL).
        b.shiftFactor = n.path("shift_factor").asDouble(0.0);
        b.sampleSize = n.path("sample_size").asInt(b.sampleSize);
        b.midBlockAddAttention = n.path("mid_block_add_attention").asBoolean(b.midBlockAddAttention);
        return b.build();
    }

    private static List<Integer> ints(JsonNode array) {
        List<Integer> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asInt()));
        return out;
    }

    private static List<String> strings(JsonNode array) {
        List<String> out = new ArrayList<>();
        array.forEach(x -> out.add(x.asText()));
        return out;
    }

    /** @return this config as a diffusers {@code config.json} object */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "AutoencoderKL");
        n.put("in_channels", inChannels);
        n.put("out_channels", outChannels);
        n.put("latent_channels", latentChannels);
        ArrayNode boc = n.putArray("block_out_channels");
        blockOutChannels.forEach(boc::add);
        n.put("layers_per_block", layersPerBlock);
        n.put("norm_num_groups", normNumGroups);
        ArrayNode down = n.putArray("down_block_types");
        downBlockTypes.forEach(down::add);
        ArrayNode up = n.putArray("up_block_types");
        upBlockTypes.forEach(up::add);
        n.put("act_fn", actFn);
        n.put("use_quant_conv", useQuantConv);
        n.put("use_post_quant_conv", usePostQuantConv);
        n.put("scaling_factor", scalingFactor);
        n.put("shift_factor", shiftFactor);
        n.put("sample_size", sampleSize);
        n.put("mid_block_add_attention", midBlockAddAttention);
        return n;
    }

    /** @return image channels the encoder reads (3 for RGB) */
    public int inChannels() {
        return inChannels;
    }

    /** @return image channels the decoder writes (3 for RGB) */
    public int outChannels() {
        return outChannels;
    }

    /** @return channels of the latent (16 for SD3) */
    public int latentChannels() {
        return latentChannels;
    }

    /** @return the width of each resolution level, encoder order (highest resolution first) */
    public List<Integer> blockOutChannels() {
        return blockOutChannels;
    }

    /** @return resnets per encoder block (decoder blocks have one more) */
    public int layersPerBlock() {
        return layersPerBlock;
    }

    /** @return GroupNorm groups of every norm layer */
    public int normNumGroups() {
        return normNumGroups;
    }

    /** @return encoder block types, all {@link #DOWN_BLOCK} */
    public List<String> downBlockTypes() {
        return downBlockTypes;
    }

    /** @return decoder block types, all {@link #UP_BLOCK} */
    public List<String> upBlockTypes() {
        return upBlockTypes;
    }

    /** @return whether a 1x1 {@code quant_conv} follows the encoder */
    public boolean useQuantConv() {
        return useQuantConv;
    }

    /** @return whether a 1x1 {@code post_quant_conv} precedes the decoder */
    public boolean usePostQuantConv() {
        return usePostQuantConv;
    }

    /** @return the pipeline's latent scale: {@code latents = (z - shift) * scaling} */
    public double scalingFactor() {
        return scalingFactor;
    }

    /** @return the pipeline's latent shift (0 when the config has none) */
    public double shiftFactor() {
        return shiftFactor;
    }

    /** @return the image side the VAE was trained at, in pixels (informational) */
    public int sampleSize() {
        return sampleSize;
    }

    /** @return whether the mid blocks hold a self-attention layer */
    public boolean midBlockAddAttention() {
        return midBlockAddAttention;
    }

    /** @return image pixels per latent pixel along each side: {@code 2^(blocks - 1)} */
    public int downscaleFactor() {
        return 1 << (blockOutChannels.size() - 1);
    }

    @Override
    public String toString() {
        return toJson().toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof VaeConfig && toJson().equals(((VaeConfig) o).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    /** Builder for {@link VaeConfig}; defaults are diffusers' {@code AutoencoderKL} constructor defaults. */
    public static final class Builder {
        private int inChannels = 3;
        private int outChannels = 3;
        private int latentChannels = 4;
        private List<Integer> blockOutChannels = List.of(64);
        private int layersPerBlock = 1;
        private int normNumGroups = 32;
        private List<String> downBlockTypes;
        private List<String> upBlockTypes;
        private String actFn = "silu";
        private boolean useQuantConv = true;
        private boolean usePostQuantConv = true;
        private double scalingFactor = 0.18215;
        private double shiftFactor;
        private int sampleSize = 32;
        private boolean midBlockAddAttention = true;

        private Builder() {}

        /** @param v in_channels @return this */
        public Builder optInChannels(int v) {
            inChannels = v;
            return this;
        }

        /** @param v out_channels @return this */
        public Builder optOutChannels(int v) {
            outChannels = v;
            return this;
        }

        /** @param v latent_channels @return this */
        public Builder optLatentChannels(int v) {
            latentChannels = v;
            return this;
        }

        /** @param v block_out_channels; block types default to one supported type per entry @return this */
        public Builder optBlockOutChannels(List<Integer> v) {
            blockOutChannels = List.copyOf(v);
            return this;
        }

        /** @param v layers_per_block @return this */
        public Builder optLayersPerBlock(int v) {
            layersPerBlock = v;
            return this;
        }

        /** @param v norm_num_groups @return this */
        public Builder optNormNumGroups(int v) {
            normNumGroups = v;
            return this;
        }

        /** @param v down_block_types, one per block @return this */
        public Builder optDownBlockTypes(List<String> v) {
            downBlockTypes = List.copyOf(v);
            return this;
        }

        /** @param v up_block_types, one per block @return this */
        public Builder optUpBlockTypes(List<String> v) {
            upBlockTypes = List.copyOf(v);
            return this;
        }

        /** @param v act_fn; only "silu" is supported @return this */
        public Builder optActFn(String v) {
            actFn = v;
            return this;
        }

        /** @param v use_quant_conv @return this */
        public Builder optUseQuantConv(boolean v) {
            useQuantConv = v;
            return this;
        }

        /** @param v use_post_quant_conv @return this */
        public Builder optUsePostQuantConv(boolean v) {
            usePostQuantConv = v;
            return this;
        }

        /** @param v scaling_factor @return this */
        public Builder optScalingFactor(double v) {
            scalingFactor = v;
            return this;
        }

        /** @param v shift_factor @return this */
        public Builder optShiftFactor(double v) {
            shiftFactor = v;
            return this;
        }

        /** @param v sample_size @return this */
        public Builder optSampleSize(int v) {
            sampleSize = v;
            return this;
        }

        /** @param v mid_block_add_attention @return this */
        public Builder optMidBlockAddAttention(boolean v) {
            midBlockAddAttention = v;
            return this;
        }

        /**
         * @return the validated config
         * @throws IllegalArgumentException naming the field, the value and what is allowed
         */
        public VaeConfig build() {
            positive("in_channels", inChannels);
            positive("out_channels", outChannels);
            positive("latent_channels", latentChannels);
            positive("layers_per_block", layersPerBlock);
            positive("norm_num_groups", normNumGroups);
            positive("sample_size", sampleSize);
            if (blockOutChannels.isEmpty() || blockOutChannels.size() > 30) {
                throw new IllegalArgumentException("block_out_channels must hold 1 to 30 entries, got " + blockOutChannels);
            }
            for (int c : blockOutChannels) {
                if (c <= 0 || c % normNumGroups != 0) {
                    throw new IllegalArgumentException("block_out_channels " + blockOutChannels
                            + " must be positive multiples of norm_num_groups (" + normNumGroups + ")");
                }
            }
            blockTypes("down_block_types", downBlockTypes, DOWN_BLOCK, blockOutChannels.size());
            blockTypes("up_block_types", upBlockTypes, UP_BLOCK, blockOutChannels.size());
            if (!"silu".equals(actFn) && !"swish".equals(actFn)) {
                throw new IllegalArgumentException("act_fn must be \"silu\", got \"" + actFn + "\"");
            }
            if (!(scalingFactor > 0) || Double.isInfinite(scalingFactor)) {
                throw new IllegalArgumentException("scaling_factor must be finite and > 0, got " + scalingFactor);
            }
            if (!Double.isFinite(shiftFactor)) {
                throw new IllegalArgumentException("shift_factor must be finite, got " + shiftFactor);
            }
            return new VaeConfig(this);
        }

        private static void positive(String field, int v) {
            if (v <= 0) {
                throw new IllegalArgumentException(field + " must be >= 1, got " + v);
            }
        }

        private static void blockTypes(String field, List<String> types, String supported, int blocks) {
            if (types == null) {
                return;
            }
            if (types.size() != blocks) {
                throw new IllegalArgumentException(field + " must name one type per block_out_channels entry ("
                        + blocks + "), got " + types.size() + ": " + types);
            }
            for (String t : types) {
                if (!supported.equals(t)) {
                    throw new IllegalArgumentException(field + " holds \"" + t + "\": only " + supported
                            + " is supported (AutoencoderKL's own block type)");
                }
            }
        }
    }
}
