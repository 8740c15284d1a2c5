package io.diffrl4j.models.mmdit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * The shape of an SD3-family MMDiT, with the field names of diffusers' {@code
 * SD3Transformer2DModel} {@code config.json}, so the same class describes a 1M-parameter toy and
 * SD3.5-Medium ({@link #sd35Medium()}). Immutable; validated when built.
 */
public final class MmditConfig {
    private static final ObjectMapper JSON = new ObjectMapper();

    private final int sampleSize;
    private final int patchSize;
    private final int inChannels;
    private final int numLayers;
    private final int attentionHeadDim;
    private final int numAttentionHeads;
    private final int jointAttentionDim;
    private final int captionProjectionDim;
    private final int pooledProjectionDim;
    private final int outChannels;
    private final int posEmbedMaxSize;
    private final List<Integer> dualAttentionLayers;
    private final String qkNorm;

    private MmditConfig(Builder b) {
        sampleSize = b.sampleSize;
        patchSize = b.patchSize;
        inChannels = b.inChannels;
        numLayers = b.numLayers;
        attentionHeadDim = b.attentionHeadDim;
        numAttentionHeads = b.numAttentionHeads;
        jointAttentionDim = b.jointAttentionDim;
        captionProjectionDim = b.captionProjectionDim;
        pooledProjectionDim = b.pooledProjectionDim;
        outChannels = b.outChannels;
        posEmbedMaxSize = b.posEmbedMaxSize;
        dualAttentionLayers = List.copyOf(b.dualAttentionLayers);
        qkNorm = b.qkNorm;
    }

    /** @return a builder with diffusers' defaults for {@code SD3Transformer2DModel} */
    public static Builder builder() {
        return new Builder();
    }

    /** @return the configuration of Stable Diffusion 3.5 Medium's transformer */
    public static MmditConfig sd35Medium() {
        List<Integer> dual = new ArrayList<>();
        for (int i = 0; i <= 12; i++) {
            dual.add(i);
        }
        return builder().optSampleSize(128).optPatchSize(2).optInChannels(16).optNumLayers(24)
                .optAttentionHeadDim(64).optNumAttentionHeads(24).optJointAttentionDim(4096)
                .optCaptionProjectionDim(1536).optPooledProjectionDim(2048).optOutChannels(16)
                .optPosEmbedMaxSize(384).optDualAttentionLayers(dual).optQkNorm("rms_norm").build();
    }

    /**
     * Reads a diffusers {@code config.json}; unknown fields (e.g. {@code _class_name}) are ignored.
     *
     * @param file the JSON file
     * @return the validated config
     * @throws IOException when the file cannot be read or is not JSON
     */
    public static MmditConfig fromJson(Path file) throws IOException {
        JsonNode n;
        try {
            n = JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read transformer config " + file + ": " + e.getMessage(), e);
        }
        try {
            return fromJson(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("transformer config " + file + ": " + e.getMessage(), e);
        }
    }

    /** @param n a parsed {@code config.json} @return the validated config */
    public static MmditConfig fromJson(JsonNode n) {
        Builder b = builder();
        b.sampleSize = n.path("sample_size").asInt(b.sampleSize);
        b.patchSize = n.path("patch_size").asInt(b.patchSize);
        b.inChannels = n.path("in_channels").asInt(b.inChannels);
        b.numLayers = n.path("num_layers").asInt(b.numLayers);
        b.attentionHeadDim = n.path("attention_head_dim").asInt(b.attentionHeadDim);
        b.numAttentionHeads = n.path("num_attention_heads").asInt(b.numAttentionHeads);
        b.jointAttentionDim = n.path("joint_attention_dim").asInt(b.jointAttentionDim);
        b.captionProjectionDim = n.path("caption_projection_dim").asInt(b.captionProjectionDim);
        b.pooledProjectionDim = n.path("pooled_projection_dim").asInt(b.pooledProjectionDim);
        b.outChannels = n.path("out_channels").asInt(b.outChannels);
        JsonNode max = n.path("pos_embed_max_size");
        b.posEmbedMaxSize = max.isNull() || max.isMissingNode() ? 0 : max.asInt();
        List<Integer> dual = new ArrayList<>();
        n.path("dual_attention_layers").forEach(x -> dual.add(x.asInt()));
        b.dualAttentionLayers = dual;
        JsonNode qk = n.path("qk_norm");
        b.qkNorm = qk.isNull() || qk.isMissingNode() ? null : qk.asText();
        return b.build();
    }

    /** @return this config as a diffusers {@code config.json} object */
    public ObjectNode toJson() {
        ObjectNode n = JSON.createObjectNode();
        n.put("_class_name", "SD3Transformer2DModel");
        n.put("sample_size", sampleSize);
        n.put("patch_size", patchSize);
        n.put("in_channels", inChannels);
        n.put("num_layers", numLayers);
        n.put("attention_head_dim", attentionHeadDim);
        n.put("num_attention_heads", numAttentionHeads);
        n.put("joint_attention_dim", jointAttentionDim);
        n.put("caption_projection_dim", captionProjectionDim);
        n.put("pooled_projection_dim", pooledProjectionDim);
        n.put("out_channels", outChannels);
        if (posEmbedMaxSize > 0) {
            n.put("pos_embed_max_size", posEmbedMaxSize);
        } else {
            n.putNull("pos_embed_max_size");
        }
        ArrayNode dual = n.putArray("dual_attention_layers");
        dualAttentionLayers.forEach(dual::add);
        if (qkNorm == null) {
            n.putNull("qk_norm");
        } else {
            n.put("qk_norm", qkNorm);
        }
        return n;
    }

    /** @return latent height and width the positional embedding was designed for */
    public int sampleSize() {
        return sampleSize;
    }

    /** @return patch side p */
    public int patchSize() {
        return patchSize;
    }

    /** @return latent channels in */
    public int inChannels() {
        return inChannels;
    }

    /** @return number of joint transformer blocks */
    public int numLayers() {
        return numLayers;
    }

    /** @return per-head width */
    public int attentionHeadDim() {
        return attentionHeadDim;
    }

    /** @return number of heads */
    public int numAttentionHeads() {
        return numAttentionHeads;
    }

    /** @return the model width, heads x head width */
    public int innerDim() {
        return attentionHeadDim * numAttentionHeads;
    }

    /** @return width of the text token embeddings fed in */
    public int jointAttentionDim() {
        return jointAttentionDim;
    }

    /** @return width the text tokens are projected to */
    public int captionProjectionDim() {
        return captionProjectionDim;
    }

    /** @return width of the pooled text embedding */
    public int pooledProjectionDim() {
        return pooledProjectionDim;
    }

    /** @return latent channels out */
    public int outChannels() {
        return outChannels;
    }

    /** @return side of the positional-embedding grid in patches, 0 when it matches the sample size */
    public int posEmbedMaxSize() {
        return posEmbedMaxSize;
    }

    /** @return indices of the blocks with SD3.5's second, image-only attention */
    public List<Integer> dualAttentionLayers() {
        return dualAttentionLayers;
    }

    /** @return "rms_norm" for QK normalisation, or null */
    public String qkNorm() {
        return qkNorm;
    }

    @Override
    public String toString() {
        return toJson().toString();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof MmditConfig && toJson().equals(((MmditConfig) o).toJson());
    }

    @Override
    public int hashCode() {
        return toJson().hashCode();
    }

    /** Builder for {@link MmditConfig}; defaults are diffusers' constructor defaults. */
    public static final class Builder {
        private int sampleSize = 128;
        private int patchSize = 2;
        private int inChannels = 16;
        private int numLayers = 18;
        private int attentionHeadDim = 64;
        private int numAttentionHeads = 18;
        private int jointAttentionDim = 4096;
        private int captionProjectionDim = 1152;
        private int pooledProjectionDim = 2048;
        private int outChannels = 16;
        private int posEmbedMaxSize = 96;
        private List<Integer> dualAttentionLayers = List.of();
        private String qkNorm;

        private Builder() {}

        /** @param v sample_size @return this */
        public Builder optSampleSize(int v) {
            sampleSize = v;
            return this;
        }

        /** @param v patch_size @return this */
        public Builder optPatchSize(int v) {
            patchSize = v;
            return this;
        }

        /** @param v in_channels @return this */
        public Builder optInChannels(int v) {
            inChannels = v;
            return this;
        }

        /** @param v num_layers @return this */
        public Builder optNumLayers(int v) {
            numLayers = v;
            return this;
        }

        /** @param v attention_head_dim @return this */
        public Builder optAttentionHeadDim(int v) {
            attentionHeadDim = v;
            return this;
        }

        /** @param v num_attention_heads @return this */
        public Builder optNumAttentionHeads(int v) {
            numAttentionHeads = v;
            return this;
        }

        /** @param v joint_attention_dim @return this */
        public Builder optJointAttentionDim(int v) {
            jointAttentionDim = v;
            return this;
        }

        /** @param v caption_projection_dim @return this */
        public Builder optCaptionProjectionDim(int v) {
            captionProjectionDim = v;
            return this;
        }

        /** @param v pooled_projection_dim @return this */
        public Builder optPooledProjectionDim(int v) {
            pooledProjectionDim = v;
            return this;
        }

        /** @param v out_channels @return this */
        public Builder optOutChannels(int v) {
            outChannels = v;
            return this;
        }

        /** @param v pos_embed_max_size in patches, 0 for none @return this */
        public Builder optPosEmbedMaxSize(int v) {
            posEmbedMaxSize = v;
            return this;
        }

        /** @param v dual_attention_layers @return this */
        public Builder optDualAttentionLayers(List<Integer> v) {
            dualAttentionLayers = v;
            return this;
        }

        /** @param v qk_norm: "rms_norm" or null @return this */
        public Builder optQkNorm(String v) {
            qkNorm = v;
            return this;
        }

        /** @return the config @throws IllegalArgumentException naming the bad field */
        public MmditConfig build() {
            positive("sample_size", sampleSize);
            positive("patch_size", patchSize);
            positive("in_channels", inChannels);
            positive("num_layers", numLayers);
            positive("attention_head_dim", attentionHeadDim);
            positive("num_attention_heads", numAttentionHeads);
            positive("joint_attention_dim", jointAttentionDim);
            positive("caption_projection_dim", captionProjectionDim);
            positive("pooled_projection_dim", pooledProjectionDim);
            positive("out_channels", outChannels);
            int inner = attentionHeadDim * numAttentionHeads;
            if (inner % 4 != 0) {
                throw new IllegalArgumentException("attention_head_dim x num_attention_heads must be a multiple of 4 "
                        + "for the 2D sin-cos positional embedding, got " + inner);
            }
            if (sampleSize % patchSize != 0) {
                throw new IllegalArgumentException("sample_size " + sampleSize + " must be a multiple of patch_size " + patchSize);
            }
            if (posEmbedMaxSize < 0) {
                throw new IllegalArgumentException("pos_embed_max_size must be >= 0, got " + posEmbedMaxSize);
            }
            for (int layer : dualAttentionLayers) {
                if (layer < 0 || layer >= numLayers) {
                    throw new IllegalArgumentException("dual_attention_layers entry " + layer + " is outside [0, "
                            + numLayers + ")");
                }
            }
            if (qkNorm != null && !qkNorm.equals("rms_norm")) {
                throw new IllegalArgumentException("qk_norm must be \"rms_norm\" or null, got \"" + qkNorm + "\"");
            }
            return new MmditConfig(this);
        }

        private static void positive(String field, int value) {
            if (value < 1) {
                throw new IllegalArgumentException(field + " must be >= 1, got " + value);
            }
        }
    }
}
