package io.diffrl4j.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.file.Path;

/**
 * The shape of a T5 encoder, with the field names of transformers' {@code T5Config}
 * ({@code text_encoder_3/config.json}); absent fields take transformers' defaults. Immutable;
 * validated when built, a bad value failing with a message that names the field.
 *
 * @param vocabSize {@code vocab_size}: rows of the shared embedding
 * @param dModel {@code d_model}: model width D (4096 for T5-XXL)
 * @param dKv {@code d_kv}: per-head width
 * @param dFf {@code d_ff}: feed-forward width
 * @param numLayers {@code num_layers}: encoder blocks
 * @param numHeads {@code num_heads}
 * @param relativeAttentionNumBuckets {@code relative_attention_num_buckets}, at least 4
 * @param relativeAttentionMaxDistance {@code relative_attention_max_distance}, more than a quarter
 *     of the buckets
 * @param layerNormEpsilon {@code layer_norm_epsilon}
 * @param denseActFn the feed-forward activation: the part of {@code feed_forward_proj} after
 *     "gated-" ("gelu" there meaning the tanh GELU, "gelu_new", as in transformers), or an explicit
 *     {@code dense_act_fn}
 * @param gatedAct whether the feed-forward is gated, {@code wo(act(wi_0 x) * wi_1 x)}, rather
 *     than {@code wo(act(wi x))}
 */
public record T5Config(int vocabSize, int dModel, int dKv, int dFf, int numLayers, int numHeads,
        int relativeAttentionNumBuckets, int relativeAttentionMaxDistance, double layerNormEpsilon,
        String denseActFn, boolean gatedAct) {

    /** Validates every field. */
    public T5Config {
        ConfigJson.atLeast("vocab_size", vocabSize, 1);
        ConfigJson.atLeast("d_model", dModel, 1);
        ConfigJson.atLeast("d_kv", dKv, 1);
        ConfigJson.atLeast("d_ff", dFf, 1);
        ConfigJson.atLeast("num_layers", numLayers, 1);
        ConfigJson.atLeast("num_heads", numHeads, 1);
        // Bidirectional buckets: half per direction, half of those exact; the log-spaced rest
        // divides by log(max_distance / max_exact), which must be positive.
        ConfigJson.atLeast("relative_attention_num_buckets", relativeAttentionNumBuckets, 4);
        ConfigJson.atLeast("relative_attention_max_distance", relativeAttentionMaxDistance,
                relativeAttentionNumBuckets / 4 + 1);
        ConfigJson.positive("layer_norm_epsilon", layerNormEpsilon);
        HiddenAct.of("dense_act_fn", denseActFn);
    }

    /**
     * Reads a transformers {@code config.json}; other fields are ignored.
     *
     * @param file the JSON file
     * @return the validated config
     * @throws IOException when the file cannot be read or is not JSON
     * @throws IllegalArgumentException naming the file and the field of a bad value
     */
    public static T5Config fromJson(Path file) throws IOException {
        return ConfigJson.read(file, "T5", T5Config::fromJson);
    }

    /**
     * @param n a parsed {@code config.json}
     * @return the validated config
     * @throws IllegalArgumentException naming the field of a bad value
     */
    public static T5Config fromJson(JsonNode n) {
        String proj = ConfigJson.textField(n, "feed_forward_proj", "relu");
        String[] parts = proj.split("-", -1);
        if (parts.length > 2 || parts.length == 2 && !parts[0].equals("gated")) {
            throw new IllegalArgumentException("feed_forward_proj = \"" + proj
                    + "\": must be \"gated-ACT\" or \"ACT\", e.g. \"gated-gelu\" or \"relu\"");
        }
        String act = parts[parts.length - 1];
        // transformers' T5Config: the "gelu" of "gated-gelu" is the tanh approximation.
        if (proj.equals("gated-gelu")) {
            act = "gelu_new";
        }
        return new T5Config(
                ConfigJson.intField(n, "vocab_size", 32128),
                ConfigJson.intField(n, "d_model", 512),
                ConfigJson.intField(n, "d_kv", 64),
                ConfigJson.intField(n, "d_ff", 2048),
                ConfigJson.intField(n, "num_layers", 6),
                ConfigJson.intField(n, "num_heads", 8),
                ConfigJson.intField(n, "relative_attention_num_buckets", 32),
                ConfigJson.intField(n, "relative_attention_max_distance", 128),
                ConfigJson.doubleField(n, "layer_norm_epsilon", 1e-6),
                // A saved dense_act_fn overrides the derived one, as it does in transformers.
                ConfigJson.textField(n, "dense_act_fn", act),
                booleanField(n, "is_gated_act", parts.length == 2));
    }

    private static boolean booleanField(JsonNode n, String field, boolean fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.isBoolean()) {
            throw new IllegalArgumentException(field + " must be true or false, got " + v);
        }
        return v.booleanValue();
    }

    /** @return the attention width, {@code num_heads * d_kv} */
    public int innerDim() {
        return numHeads * dKv;
    }
}
