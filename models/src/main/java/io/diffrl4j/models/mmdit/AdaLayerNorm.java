package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;

/**
 * Adaptive layer norm: {@code linear(silu(temb))} is split into {@code chunks} modulation vectors
 * (B, D) in diffusers' order; the block applies them. Six chunks is {@code AdaLayerNormZero}
 * (shift, scale, gate for attention, then for the MLP), nine is SD3.5's {@code
 * SD35AdaLayerNormZeroX} (plus shift, scale, gate of the second attention), two is {@code
 * AdaLayerNormContinuous} (scale, then shift).
 */
public final class AdaLayerNorm extends ModuleBlock {
    static final float EPS = 1e-6f;

    private final int chunks;
    private final LoraLinear linear;

    AdaLayerNorm(long dim, int chunks) {
        this.chunks = chunks;
        this.linear = module("linear", new LoraLinear(dim, dim * chunks, true));
    }

    /** @param temb (B, D) @return the {@code chunks} modulation vectors, each (B, D) */
    public NDList modulation(NDArray temb) {
        return linear.forward(Activations.silu(temb)).split(chunks, 1);
    }

    /** @return {@code layerNorm(x) * (1 + scale) + shift} with per-sample (B, D) scale and shift */
    static NDArray modulate(NDArray normed, NDArray shift, NDArray scale) {
        return normed.mul(scale.expandDims(1).add(1)).add(shift.expandDims(1));
    }

    /** @return the parameter-free layer norm these blocks use */
    static NDArray norm(NDArray x) {
        return Activations.layerNorm(x, EPS);
    }
}
