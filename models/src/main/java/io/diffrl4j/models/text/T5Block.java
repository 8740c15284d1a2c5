package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.models.nn.RmsNorm;

/**
 * transformers' {@code T5Block} of an encoder: RMS-normed self-attention with the shared
 * relative position bias and no score scaling (T5 folds it into the weights), then the RMS-normed
 * feed-forward ({@code DenseReluDense}), each with a residual.
 */
final class T5Block extends ModuleBlock {
    private static final float HALF_MAX = 65504f;

    private final int heads;
    private final RmsNorm attentionNorm;
    private final LoraLinear q;
    private final LoraLinear k;
    private final LoraLinear v;
    private final LoraLinear o;
    private final EmbeddingTable relativeBias;
    private final RmsNorm feedForwardNorm;
    private final LoraLinear wi0;
    private final LoraLinear wi1;
    private final LoraLinear wo;
    private final HiddenAct act;

    /** @param hasRelativeBias whether this block owns the bias table (the first block) */
    T5Block(T5Config c, boolean hasRelativeBias) {
        heads = c.numHeads();
        attentionNorm = module("layer.0.layer_norm", new RmsNorm((float) c.layerNormEpsilon()));
        q = module("layer.0.SelfAttention.q", new LoraLinear(c.dModel(), c.innerDim(), false));
        k = module("layer.0.SelfAttention.k", new LoraLinear(c.dModel(), c.innerDim(), false));
        v = module("layer.0.SelfAttention.v", new LoraLinear(c.dModel(), c.innerDim(), false));
        o = module("layer.0.SelfAttention.o", new LoraLinear(c.innerDim(), c.dModel(), false));
        relativeBias = hasRelativeBias
                ? module("layer.0.SelfAttention.relative_attention_bias", new EmbeddingTable()) : null;
        feedForwardNorm = module("layer.1.layer_norm", new RmsNorm((float) c.layerNormEpsilon()));
        String ff = "layer.1.DenseReluDense.";
        wi0 = module(ff + (c.gatedAct() ? "wi_0" : "wi"), new LoraLinear(c.dModel(), c.dFf(), false));
        wi1 = c.gatedAct() ? module(ff + "wi_1", new LoraLinear(c.dModel(), c.dFf(), false)) : null;
        wo = module(ff + "wo", new LoraLinear(c.dFf(), c.dModel(), false));
        act = HiddenAct.of("dense_act_fn", c.denseActFn());
    }

    /** @return the relative position bias table (buckets, heads), or null past the first block */
    EmbeddingTable relativeBias() {
        return relativeBias;
    }

    /**
     * @param x (B, T, D)
     * @param positionBias (1, H, T, T), added to the attention scores
     * @return (B, T, D), in x's manager
     */
    NDArray forward(NDArray x, NDArray positionBias) {
        // No score scaling: T5 folds 1/sqrt(d_kv) into its weights.
        NDArray y = clampHalf(x.add(TextAttention.selfAttention(attentionNorm.forward(x), q, k, v, o, heads, 1,
                positionBias)));
        NDArray h = feedForwardNorm.forward(y);
        NDArray hidden = act.apply(wi0.forward(h));
        if (wi1 != null) {
            hidden = hidden.mul(wi1.forward(h));
        }
        // wo is kept in fp32 in a half-precision model (transformers' _keep_in_fp32_modules): its
        // output overflows fp16. The residual stream then becomes fp32 by type promotion.
        DataType woType = wo.namedParameters().get("weight").getArray().getDataType();
        NDArray ff = wo.forward(hidden.toType(woType, false));
        return clampHalf(y.add(ff));
    }

    /**
     * transformers' guard for fp16 activations: clamp to the largest finite half (less a margin
     * when some value already overflowed); other types pass through.
     */
    private static NDArray clampHalf(NDArray x) {
        if (x.getDataType() != DataType.FLOAT16) {
            return x;
        }
        float bound = x.isInfinite().any().getBoolean() ? HALF_MAX - 1000 : HALF_MAX;
        return x.clip(-bound, bound);
    }
}
