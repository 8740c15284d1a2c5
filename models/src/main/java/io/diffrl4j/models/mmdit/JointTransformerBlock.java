package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.models.nn.kernel.AttentionBackend;

/**
 * One MMDiT block (diffusers' {@code JointTransformerBlock}): adaLN-Zero modulated joint attention
 * and MLP on the image stream and on the text stream. SD3.5's dual-attention blocks add a gated
 * image-only attention ({@code attn2}) with its own modulation; the last block is "context pre
 * only": its text stream is normalised by a continuous adaLN, feeds the attention and stops.
 */
public final class JointTransformerBlock extends ModuleBlock {
    private final boolean dual;
    private final boolean contextPreOnly;
    private final AdaLayerNorm norm1;
    private final AdaLayerNorm norm1Context;
    private final Attention attn;
    private final Attention attn2;
    private final FeedForward ff;
    private final FeedForward ffContext;

    JointTransformerBlock(MmditConfig config, boolean dual, boolean contextPreOnly) {
        long d = config.innerDim();
        this.dual = dual;
        this.contextPreOnly = contextPreOnly;
        norm1 = module("norm1", new AdaLayerNorm(d, dual ? 9 : 6));
        norm1Context = module("norm1_context", new AdaLayerNorm(d, contextPreOnly ? 2 : 6));
        attn = module("attn", new Attention(config, true, contextPreOnly));
        attn2 = dual ? module("attn2", new Attention(config, false, false)) : null;
        ff = module("ff", new FeedForward(d));
        ffContext = contextPreOnly ? null : module("ff_context", new FeedForward(d));
    }

    void setBackend(AttentionBackend backend) {
        attn.setBackend(backend);
        if (attn2 != null) {
            attn2.setBackend(backend);
        }
    }

    /**
     * @param image image tokens (B, N, D)
     * @param text text tokens (B, T, D)
     * @param temb the conditioning vector (B, D)
     * @return the new image tokens, and the new text tokens unless this block is context pre only
     */
    public NDList forward(NDArray image, NDArray text, NDArray temb) {
        NDList m = norm1.modulation(temb);
        NDArray normed = AdaLayerNorm.norm(image);
        NDArray imageIn = AdaLayerNorm.modulate(normed, m.get(0), m.get(1));
        NDList c = norm1Context.modulation(temb);
        NDArray textNormed = AdaLayerNorm.norm(text);
        NDArray textIn = contextPreOnly
                ? AdaLayerNorm.modulate(textNormed, c.get(1), c.get(0))
                : AdaLayerNorm.modulate(textNormed, c.get(0), c.get(1));

        NDList attended = attn.forward(imageIn, textIn);
        image = image.add(gate(m.get(2), attended.get(0)));
        if (dual) {
            NDArray image2 = AdaLayerNorm.modulate(normed, m.get(6), m.get(7));
            image = image.add(gate(m.get(8), attn2.forward(image2, null).get(0)));
        }
        NDArray mlpIn = AdaLayerNorm.modulate(AdaLayerNorm.norm(image), m.get(3), m.get(4));
        image = image.add(gate(m.get(5), ff.forward(mlpIn)));
        if (contextPreOnly) {
            return new NDList(image);
        }
        text = text.add(gate(c.get(2), attended.get(1)));
        NDArray textMlpIn = AdaLayerNorm.modulate(AdaLayerNorm.norm(text), c.get(3), c.get(4));
        text = text.add(gate(c.get(5), ffContext.forward(textMlpIn)));
        return new NDList(image, text);
    }

    private static NDArray gate(NDArray gate, NDArray x) {
        return x.mul(gate.expandDims(1));
    }
}
