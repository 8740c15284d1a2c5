package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.kernel.AttentionBackend;

/**
 * The VAE mid block's attention, diffusers' {@code Attention} with one head as
 * {@code UNetMidBlock2D} builds it: GroupNorm, then every pixel of the (H, W) map is a token of
 * width C; {@code to_q}, {@code to_k}, {@code to_v}, single-head scaled-dot-product attention
 * (scale 1/sqrt(C)), {@code to_out.0}, and the residual added back.
 */
final class SpatialAttention extends VaeModule {
    private final GroupNorm groupNorm;
    private final LoraLinear toQ;
    private final LoraLinear toK;
    private final LoraLinear toV;
    private final LoraLinear toOut;
    private AttentionBackend backend = AttentionBackend.composed();

    SpatialAttention(int groups, int channels) {
        groupNorm = module("group_norm", new GroupNorm(groups, channels));
        toQ = module("to_q", new LoraLinear(channels, channels, true));
        toK = module("to_k", new LoraLinear(channels, channels, true));
        toV = module("to_v", new LoraLinear(channels, channels, true));
        toOut = module("to_out.0", new LoraLinear(channels, channels, true));
    }

    void setBackend(AttentionBackend backend) {
        this.backend = backend;
    }

    /** @param x (B, C, H, W) @return (B, C, H, W) */
    NDArray forward(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long tokens = s.get(2) * s.get(3);
        NDArray h = groupNorm.forward(x).reshape(b, c, tokens).transpose(0, 2, 1);
        // (B, 1, T, C): the backend works on (batch, heads, tokens, head width).
        NDArray q = toQ.forward(h).expandDims(1);
        NDArray k = toK.forward(h).expandDims(1);
        NDArray v = toV.forward(h).expandDims(1);
        NDArray attended = backend.attend(q, k, v).reshape(b, tokens, c);
        NDArray out = toOut.forward(attended).transpose(0, 2, 1).reshape(s);
        return out.add(x);
    }
}
