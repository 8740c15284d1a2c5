package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.Activations;

/**
 * diffusers' {@code ResnetBlock2D} as the VAE builds it (no time embedding, output scale 1):
 * {@code shortcut(x) + conv2(silu(norm2(conv1(silu(norm1(x))))))}, the shortcut a 1x1
 * convolution when the channel count changes.
 */
final class ResnetBlock2D extends VaeModule {
    private final GroupNorm norm1;
    private final Conv conv1;
    private final GroupNorm norm2;
    private final Conv conv2;
    private final Conv convShortcut;

    ResnetBlock2D(int groups, int in, int out) {
        norm1 = module("norm1", new GroupNorm(groups, in));
        conv1 = module("conv1", Conv.same3x3(in, out));
        norm2 = module("norm2", new GroupNorm(groups, out));
        conv2 = module("conv2", Conv.same3x3(out, out));
        convShortcut = in == out ? null : module("conv_shortcut", Conv.pointwise(in, out));
    }

    /** @param x (B, in, H, W) @return (B, out, H, W) */
    NDArray forward(NDArray x) {
        NDArray h = conv1.forward(Activations.silu(norm1.forward(x)));
        // Dropout sits between the second activation and conv2; it is the identity at inference.
        h = conv2.forward(Activations.silu(norm2.forward(h)));
        NDArray shortcut = convShortcut == null ? x : convShortcut.forward(x);
        return shortcut.add(h);
    }
}
