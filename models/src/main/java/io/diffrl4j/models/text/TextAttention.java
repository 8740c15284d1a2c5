package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.core.flow.ScalarMath;

/**
 * Multi-head attention with an optional additive bias on the scores (CLIP text's causal mask, T5's
 * relative position bias; none in the CLIP vision tower). Composed of DJL ops because the shared
 * {@code AttentionBackend} takes no mask or bias; the encoders' sequences are short (77 and 256
 * tokens, 257 image patches for ViT-L/14), so the full score matrix is small.
 */
final class TextAttention {
    private TextAttention() {}

    /**
     * Self-attention with its four projections: {@code o(merge(attend(q h, k h, v h)))}.
     *
     * @param h (B, T, D), the normalised input
     * @param heads H
     * @param scale see {@link #attend}
     * @param bias see {@link #attend}
     * @return (B, T, D), in h's manager
     */
    static NDArray selfAttention(NDArray h, LoraLinear q, LoraLinear k, LoraLinear v, LoraLinear o, int heads,
            double scale, NDArray bias) {
        NDArray attended = attend(splitHeads(q.forward(h), heads), splitHeads(k.forward(h), heads),
                splitHeads(v.forward(h), heads), scale, bias);
        return o.forward(mergeHeads(attended));
    }

    /** @param x (B, T, H * Dh) @return (B, H, T, Dh) */
    static NDArray splitHeads(NDArray x, int heads) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        return x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
    }

    /** @param x (B, H, T, Dh) @return (B, T, H * Dh) */
    static NDArray mergeHeads(NDArray x) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(2);
        return x.transpose(0, 2, 1, 3).reshape(b, t, -1);
    }

    /**
     * {@code softmax(scale * q k^T + bias) v}; the softmax runs in fp32 and its result is cast
     * back to the scores' type, as transformers' eager attention does.
     *
     * @param q (B, H, Tq, Dh)
     * @param k (B, H, Tk, Dh)
     * @param v (B, H, Tk, Dh)
     * @param scale multiplies the scores; 1 skips the multiplication (T5)
     * @param bias added to the scores, broadcastable to (B, H, Tq, Tk), of the scores' type; null
     *     for none
     * @return (B, H, Tq, Dh), in q's manager
     */
    static NDArray attend(NDArray q, NDArray k, NDArray v, double scale, NDArray bias) {
        NDArray scores = q.matMul(k.transpose(0, 1, 3, 2));
        if (scale != 1) {
            scores = ScalarMath.mul(scores, scale);
        }
        if (bias != null) {
            scores = scores.add(bias);
        }
        DataType type = scores.getDataType();
        NDArray weights = scores.toType(DataType.FLOAT32, false).softmax(-1).toType(type, false);
        return weights.matMul(v);
    }
}
