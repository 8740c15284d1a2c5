package io.diffrl4j.models.text;

import ai.djl.ndarray.types.Shape;
import java.util.Map;

/**
 * What a CLIP encoder layer needs from its tower's config; the text and the vision tower share
 * the layer ({@code CLIPEncoderLayer}) and differ only in these numbers and in the attention mask.
 *
 * @param hiddenSize the width D
 * @param intermediateSize the MLP width
 * @param numAttentionHeads H; divides D
 * @param hiddenAct the MLP activation's transformers name
 * @param layerNormEps both layer norms' epsilon
 */
record ClipEncoderShape(int hiddenSize, int intermediateSize, int numAttentionHeads, String hiddenAct,
        double layerNormEps) {

    /** @return the per-head width D / H */
    int headDim() {
        return hiddenSize / numAttentionHeads;
    }

    /** Adds one layer's parameter shapes under {@code prefix} ("...encoder.layers.N."). */
    void putLayerShapes(Map<String, Shape> s, String prefix) {
        long d = hiddenSize;
        putNorm(s, prefix + "layer_norm1", d);
        putLinear(s, prefix + "self_attn.q_proj", d, d);
        putLinear(s, prefix + "self_attn.k_proj", d, d);
        putLinear(s, prefix + "self_attn.v_proj", d, d);
        putLinear(s, prefix + "self_attn.out_proj", d, d);
        putNorm(s, prefix + "layer_norm2", d);
        putLinear(s, prefix + "mlp.fc1", d, intermediateSize);
        putLinear(s, prefix + "mlp.fc2", intermediateSize, d);
    }

    /** A linear layer's (out, in) weight and (out) bias. */
    static void putLinear(Map<String, Shape> s, String module, long in, long out) {
        s.put(module + ".weight", new Shape(out, in));
        s.put(module + ".bias", new Shape(out));
    }

    /** A layer norm's (D) weight and bias. */
    static void putNorm(Map<String, Shape> s, String module, long d) {
        s.put(module + ".weight", new Shape(d));
        s.put(module + ".bias", new Shape(d));
    }
}
