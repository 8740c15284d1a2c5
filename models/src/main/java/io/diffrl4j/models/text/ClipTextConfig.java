package io.diffrl4j.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The shape of a CLIP text model with projection, with the field names of transformers'
 * {@code CLIPTextConfig} ({@code text_encoder/config.json}, {@code text_encoder_2/config.json});
 * absent fields take transformers' defaults. Immutable; validated when built, a bad value failing
 * with a message that names the field.
 *
 * @param vocabSize {@code vocab_size}: rows of the token embedding
 * @param hiddenSize {@code hidden_size}: model width D (768 for CLIP-L, 1280 for CLIP-G)
 * @param intermediateSize {@code intermediate_size}: MLP width
 * @param projectionDim {@code projection_dim}: width of {@code text_embeds}
 * @param numHiddenLayers {@code num_hidden_layers}
 * @param numAttentionHeads {@code num_attention_heads}; divides {@code hidden_size}
 * @param maxPositionEmbeddings {@code max_position_embeddings}: the longest token sequence (77)
 * @param hiddenAct {@code hidden_act}: "quick_gelu" (CLIP-L), "gelu" (CLIP-G), "gelu_new",
 *     "gelu_pytorch_tanh" or "relu"
 * @param layerNormEps {@code layer_norm_eps}
 * @param eosTokenId {@code eos_token_id}: the pooled output is taken at its first occurrence, or,
 *     when it is 2 (legacy configs, SD3's), at the largest id of each row
 */
public record ClipTextConfig(int vocabSize, int hiddenSize, int intermediateSize, int projectionDim,
        int numHiddenLayers, int numAttentionHeads, int maxPositionEmbeddings, String hiddenAct,
        double layerNormEps, int eosTokenId) {

    /** The {@code eos_token_id} of configs written before transformers located EOS by id. */
    static final int LEGACY_EOS_TOKEN_ID = 2;

    /** Validates every field. */
    public ClipTextConfig {
        ConfigJson.atLeast("vocab_size", vocabSize, 1);
        ConfigJson.atLeast("hidden_size", hiddenSize, 1);
        ConfigJson.atLeast("intermediate_size", intermediateSize, 1);
        ConfigJson.atLeast("projection_dim", projectionDim, 1);
        ConfigJson.atLeast("num_hidden_layers", numHiddenLayers, 1);
        ConfigJson.atLeast("num_attention_heads", numAttentionHeads, 1);
        ConfigJson.atLeast("max_position_embeddings", maxPositionEmbeddings, 1);
        ConfigJson.positive("layer_norm_eps", layerNormEps);
        ConfigJson.atLeast("eos_token_id", eosTokenId, 0);
        if (hiddenSize % numAttentionHeads != 0) {
            throw new IllegalArgumentException("num_attention_heads = " + numAttentionHeads
                    + ": must divide hidden_size (" + hiddenSize + ")");
        }
        HiddenAct.of("hidden_act", hiddenAct);
    }

    /**
     * Reads a transformers {@code config.json}; other fields are ignored.
     *
     * @param file the JSON file
     * @return the validated config
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the file and the field of a bad value
     */
    public static ClipTextConfig fromJson(Path file) throws IOException {
        return ConfigJson.read(file, "CLIP text", ClipTextConfig::fromJson);
    }

    /**
     * @param n a parsed {@code config.json}
     * @return the validated config
     * @throws IllegalArgumentException naming the field of a bad value
     */
    public static ClipTextConfig fromJson(JsonNode n) {
        return new ClipTextConfig(
                ConfigJson.intField(n, "vocab_size", 49408),
                ConfigJson.intField(n, "hidden_size", 512),
                ConfigJson.intField(n, "intermediate_size", 2048),
                ConfigJson.intField(n, "projection_dim", 512),
                ConfigJson.intField(n, "num_hidden_layers", 12),
                ConfigJson.intField(n, "num_attention_heads", 8),
                ConfigJson.intField(n, "max_position_embeddings", 77),
                ConfigJson.textField(n, "hidden_act", "quick_gelu"),
                ConfigJson.doubleField(n, "layer_norm_eps", 1e-5),
                ConfigJson.intField(n, "eos_token_id", 49407));
    }

    /** @return the per-head width, {@code hidden_size / num_attention_heads} */
    public int headDim() {
        return encoder().headDim();
    }

    /** @return what the encoder layers need */
    ClipEncoderShape encoder() {
        return new ClipEncoderShape(hiddenSize, intermediateSize, numAttentionHeads, hiddenAct, layerNormEps);
    }

    /** @return whether the pooled position is {@code argmax(input_ids)} (eos_token_id == 2) */
    public boolean legacyEos() {
        return eosTokenId == LEGACY_EOS_TOKEN_ID;
    }
}
