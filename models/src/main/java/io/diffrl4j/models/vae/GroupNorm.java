package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.models.nn.kernel.Kernels;

/** PyTorch's {@code nn.GroupNorm} with a per-channel affine transform; eps 1e-6 as in every VAE norm. */
final class GroupNorm extends VaeModule {
    /** diffusers builds every norm of AutoencoderKL with {@code eps=1e-6}. */
    static final double EPS = 1e-6;

    private final int groups;
    private final Parameter weight;
    private final Parameter bias;

    GroupNorm(int groups, int channels) {
        this.groups = groups;
        this.weight = parameter("weight", new Shape(channels));
        this.bias = parameter("bias", new Shape(channels));
    }

    /** @param x (B, C, ...) @return normalised x, same shape, in x's manager */
    NDArray forward(NDArray x) {
        return Kernels.groupNorm(x, groups, value(weight), value(bias), EPS);
    }
}
