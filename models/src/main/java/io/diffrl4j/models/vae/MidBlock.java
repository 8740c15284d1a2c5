package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.kernel.AttentionBackend;

/** diffusers' {@code UNetMidBlock2D} as the VAE builds it: resnet, attention (optional), resnet, same width. */
final class MidBlock extends VaeModule {
    private final ResnetBlock2D first;
    private final SpatialAttention attention;
    private final ResnetBlock2D second;

    MidBlock(int groups, int channels, boolean addAttention) {
        attention = addAttention ? module("attentions.0", new SpatialAttention(groups, channels)) : null;
        first = module("resnets.0", new ResnetBlock2D(groups, channels, channels));
        second = module("resnets.1", new ResnetBlock2D(groups, channels, channels));
    }

    void setBackend(AttentionBackend backend) {
        if (attention != null) {
            attention.setBackend(backend);
        }
    }

    /** @param x (B, C, H, W) @return (B, C, H, W) */
    NDArray forward(NDArray x) {
        NDArray h = first.forward(x);
        if (attention != null) {
            h = attention.forward(h);
        }
        return second.forward(h);
    }
}
