package io.diffrl4j.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The shape of a CLIP vision tower with projection, with the field names of transformers'
 * {@code CLIPVisionConfig} (the {@code vision_config} object of a {@code CLIPModel}'s
 * {@code config.json}, or the whole {@code config.json} of a {@code CLIPVisionModelWithProjection});
 * absent fields take transformers' defaults (ViT-B/32). Immutable; validated when built, a bad value
 * failing with a message that names the field.
 *
 * @param hiddenSize {@code hidden_size}: model width D (1024 for ViT-L/14, 1280 for ViT-H/14)
 * @param intermediateSize {@code intermediate_size}: MLP width
 * @param projectionDim {@code projection_dim}: width of {@code image_embeds}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}; divides {@code hidden_size}
 * @param numChannels {@code num_channels}: input channels (3)
 * @param imageSize {@code image_size}: the side of the square input (224)
 * @param patchSize {@code patch_size}: the side of a patch, at most {@code image_size}; the grid is
 *     {@code image_size / patch_size} patches a side (rounded down, as the convolution does)
 * @param hiddenAct {@code hidden_act}, as in {@link ClipTextConfig}
 * @param layerNormEps {@code layer_norm_eps}
 */
public record ClipVisionConfig(int hiddenSize, int intermediateSize, int projectionDim, int numHiddenLayers,
        int numAttentionHeads, int numChannels, int imageSize, int patchSize, String hiddenAct, double layerNormEps) {

    /** Validates every field. */
    public ClipVisionConfig {
        ConfigJson.atLeast("hidden_size", hiddenSize, 1);
        ConfigJson.atLeast("intermediate_size", intermediateSize, 1);
        ConfigJson.atLeast("projection_dim", projectionDim, 1);
        ConfigJson.atLeast("num_hidden_layers", numHiddenLayers, 1);
        ConfigJson.atLeast("num_attention_heads", numAttentionHeads, 1);
        ConfigJson.atLeast("num_channels", numChannels, 1);
        ConfigJson.atLeast("patch_size", patchSize, 1);
        if (imageSize < patchSize) {
            throw new IllegalArgumentException("image_size = " + imageSize + ": must be at least patch_size ("
                    + patchSize + ")");
        }
        ConfigJson.positive("layer_norm_eps", layerNormEps);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads = " + numAttentionHeads
                    + ": must divide hidden_size (" + hiddenSize + ")");
        }
        HiddenAct.of("hidden_act", hiddenAct);
    }

    /**
     * Reads a {@code CLIPVisionModelWithProjection}'s {@code config.json}; other fields are ignored.
     * For a {@code CLIPModel} folder use {@link ClipModel}, which also applies the top-level
     * {@code projection_dim}.
     *
     * @param file the JSON file
     * @return the validated config
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the file and the field of a bad value
     */
    public static ClipVisionConfig fromJson(Path file) throws IOException {
        return ConfigJson.read(file, "CLIP vision", ClipVisionConfig::fromJson);
    }

    /**
     * @param n a parsed vision config object
     * @return the validated config
     * @throws IllegalArgumentException naming the field of a bad value
     */
    public static ClipVisionConfig fromJson(JsonNode n) {
        return new ClipVisionConfig(
                ConfigJson.intField(n, "hidden_size", 768),
                ConfigJson.intField(n, "intermediate_size", 3072),
                ConfigJson.intField(n, "projection_dim", 512),
                ConfigJson.intField(n, "num_hidden_layers", 12),
                ConfigJson.intField(n, "num_attention_heads", 12),
                ConfigJson.intField(n, "num_channels", 3),
                ConfigJson.intField(n, "image_size", 224),
                ConfigJson.intField(n, "patch_size", 32),
                ConfigJson.textField(n, "hidden_act", "quick_gelu"),
                ConfigJson.doubleField(n, "layer_norm_eps", 1e-5));
    }

    /** @return patches a side, {@code image_size / patch_size} */
    public int gridSize() {
        return imageSize / patchSize;
    }

    /** @return the sequence length: one class token plus {@code gridSize()^2} patches */
    public int numPositions() {
        return gridSize() * gridSize() + 1;
    }

    /** @return what the encoder layers need */
    ClipEncoderShape encoder() {
        return new ClipEncoderShape(hiddenSize, intermediateSize, numAttentionHeads, hiddenAct, layerNormEps);
    }
}
