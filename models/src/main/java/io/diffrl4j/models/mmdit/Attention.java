package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.index.NDIndex;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.models.nn.RmsNorm;
import io.diffrl4j.models.nn.kernel.AttentionBackend;

/**
 * Multi-head attention as diffusers' {@code Attention} with the SD3 processors. Joint
 * ({@code JointAttnProcessor2_0}): image and text tokens get their own q, k, v projections (and
 * QK RMS norms), are concatenated image first, attend together, and are split back; the text
 * output projection ({@code to_add_out}) is absent in a context-pre-only block. Self
 * ({@code AttnProcessor2_0}, SD3.5's {@code attn2}): image tokens only.
 */
public final class Attention extends ModuleBlock {
    private final int heads;
    private final boolean joint;
    private final boolean contextOutput;
    private final LoraLinear toQ;
    private final LoraLinear toK;
    private final LoraLinear toV;
    private final LoraLinear toOut;
    private final RmsNorm normQ;
    private final RmsNorm normK;
    private final LoraLinear addQ;
    private final LoraLinear addK;
    private final LoraLinear addV;
    private final LoraLinear toAddOut;
    private final RmsNorm normAddedQ;
    private final RmsNorm normAddedK;
    private AttentionBackend backend = AttentionBackend.composed();

    Attention(MmditConfig config, boolean joint, boolean contextPreOnly) {
        long d = config.innerDim();
        this.heads = config.numAttentionHeads();
        this.joint = joint;
        this.contextOutput = joint && !contextPreOnly;
        boolean qk = config.qkNorm() != null;
        toQ = module("to_q", new LoraLinear(d, d, true));
        toK = module("to_k", new LoraLinear(d, d, true));
        toV = module("to_v", new LoraLinear(d, d, true));
        normQ = qk ? module("norm_q", new RmsNorm(AdaLayerNorm.EPS)) : null;
        normK = qk ? module("norm_k", new RmsNorm(AdaLayerNorm.EPS)) : null;
        addQ = joint ? module("add_q_proj", new LoraLinear(d, d, true)) : null;
        addK = joint ? module("add_k_proj", new LoraLinear(d, d, true)) : null;
        addV = joint ? module("add_v_proj", new LoraLinear(d, d, true)) : null;
        normAddedQ = joint && qk ? module("norm_added_q", new RmsNorm(AdaLayerNorm.EPS)) : null;
        normAddedK = joint && qk ? module("norm_added_k", new RmsNorm(AdaLayerNorm.EPS)) : null;
        toOut = module("to_out.0", new LoraLinear(d, d, true));
        toAddOut = contextOutput ? module("to_add_out", new LoraLinear(d, d, true)) : null;
    }

    void setBackend(AttentionBackend backend) {
        this.backend = backend;
    }

    /**
     * @param image image tokens (B, N, D)
     * @param text text tokens (B, T, D), or null for self-attention
     * @return the image output (B, N, D) and, for joint attention with a text output, the text
     *     output (B, T, D)
     */
    public NDList forward(NDArray image, NDArray text) {
        NDArray q = heads(toQ.forward(image), normQ);
        NDArray k = heads(toK.forward(image), normK);
        NDArray v = heads(toV.forward(image), null);
        long n = image.getShape().get(1);
        if (joint) {
            q = NDArrays.concat(new NDList(q, heads(addQ.forward(text), normAddedQ)), 2);
            k = NDArrays.concat(new NDList(k, heads(addK.forward(text), normAddedK)), 2);
            v = NDArrays.concat(new NDList(v, heads(addV.forward(text), null)), 2);
        }
        NDArray out = backend.attend(q, k, v);
        Shape4 s = new Shape4(out);
        NDArray merged = out.transpose(0, 2, 1, 3).reshape(s.b, s.t, s.h * s.d);
        if (!joint) {
            return new NDList(toOut.forward(merged));
        }
        NDArray imageOut = toOut.forward(merged.get(new NDIndex(":, :{}", n)));
        if (!contextOutput) {
            return new NDList(imageOut);
        }
        return new NDList(imageOut, toAddOut.forward(merged.get(new NDIndex(":, {}:", n))));
    }

    private NDArray heads(NDArray x, RmsNorm norm) {
        long b = x.getShape().get(0);
        long t = x.getShape().get(1);
        NDArray split = x.reshape(b, t, heads, -1).transpose(0, 2, 1, 3);
        return norm == null ? split : norm.forward(split);
    }

    private record Shape4(long b, long h, long t, long d) {
        Shape4(NDArray a) {
            this(a.getShape().get(0), a.getShape().get(1), a.getShape().get(2), a.getShape().get(3));
        }
    }
}
