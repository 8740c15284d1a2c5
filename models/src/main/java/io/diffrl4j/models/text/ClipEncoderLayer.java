package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;

/** transformers' {@code CLIPEncoderLayer}: pre-LN self-attention and MLP, each with a residual. */
final class ClipEncoderLayer extends ModuleBlock {
    private final int heads;
    private final double scale;
    private final AffineLayerNorm norm1;
    private final LoraLinear q;
    private final LoraLinear k;
    private final LoraLinear v;
    private final LoraLinear out;
    private final AffineLayerNorm norm2;
    private final ClipMlp mlp;

    ClipEncoderLayer(ClipEncoderShape config) {
        int d = config.hiddenSize();
        heads = config.numAttentionHeads();
        scale = 1 / Math.sqrt(config.headDim());
        norm1 = module("layer_norm1", new AffineLayerNorm(config.layerNormEps()));
        q = module("self_attn.q_proj", new LoraLinear(d, d, true));
        k = module("self_attn.k_proj", new LoraLinear(d, d, true));
        v = module("self_attn.v_proj", new LoraLinear(d, d, true));
        out = module("self_attn.out_proj", new LoraLinear(d, d, true));
        norm2 = module("layer_norm2", new AffineLayerNorm(config.layerNormEps()));
        mlp = module("mlp", new ClipMlp(config));
    }

    /**
     * @param x (B, T, D)
     * @param mask (1, 1, T, T) additive, of x's type: the text tower's causal mask; null for the
     *     vision tower, whose tokens all see each other
     * @return (B, T, D), in x's manager
     */
    NDArray forward(NDArray x, NDArray mask) {
        NDArray y = x.add(TextAttention.selfAttention(norm1.forward(x), q, k, v, out, heads, scale, mask));
        return y.add(mlp.forward(norm2.forward(y)));
    }
}
