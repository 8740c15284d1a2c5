package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;

/** The MLP of a block: D to 4D, tanh-GELU, 4D to D (diffusers' {@code FeedForward}, "gelu-approximate"). */
public final class FeedForward extends ModuleBlock {
    private final LoraLinear up;
    private final LoraLinear down;

    FeedForward(long dim) {
        up = module("net.0.proj", new LoraLinear(dim, 4 * dim, true));
        down = module("net.2", new LoraLinear(4 * dim, dim, true));
    }

    /** @param x (B, T, D) @return (B, T, D) */
    public NDArray forward(NDArray x) {
        return down.forward(Activations.geluTanh(up.forward(x)));
    }
}
