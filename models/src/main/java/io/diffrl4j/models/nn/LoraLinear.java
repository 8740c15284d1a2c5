package io.diffrl4j.models.nn;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Linear;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraWeights;
import io.diffrl4j.models.nn.kernel.TorchKernels;

/**
 * A linear layer {@code y = x W^T + b} (PyTorch layout: W is (out, in)) with a frozen base and an
 * optional LoRA update {@code scale * (x A^T) B^T} taken from the active set of an
 * {@link Adapters} registry. Inputs are (..., in), outputs (..., out). The adapter path runs in
 * the adapter's precision (fp32) and is cast back to the input's type.
 */
public final class LoraLinear extends ModuleBlock {
    private final long in;
    private final long out;
    private final Parameter weight;
    private final Parameter bias;
    private Adapters adapters;
    private String path;

    /**
     * @param in input features
     * @param out output features
     * @param hasBias whether the layer has a bias
     */
    public LoraLinear(long in, long out, boolean hasBias) {
        this.in = in;
        this.out = out;
        this.weight = parameter("weight");
        this.bias = hasBias ? parameter("bias") : null;
    }

    /** @return input features */
    public long inFeatures() {
        return in;
    }

    /** @return output features */
    public long outFeatures() {
        return out;
    }

    /**
     * Connects this layer to the adapter registry under its module path.
     *
     * @param registry the registry whose active set this layer reads
     * @param modulePath the layer's dotted module path
     */
    public void attachAdapters(Adapters registry, String modulePath) {
        this.adapters = registry;
        this.path = modulePath;
    }

    /** @param x input (..., in) @return output (..., out), in x's manager */
    public NDArray forward(NDArray x) {
        NDArray y = Linear.linear(x, value(weight), bias == null ? null : value(bias)).singletonOrThrow();
        LoraWeights lora = adapters == null ? null : adapters.activeWeights(path);
        if (lora == null) {
            return y;
        }
        NDArray xa = TorchKernels.cast(x, lora.down().getDataType());
        NDArray delta = ScalarMath.mul(Linear.linear(Linear.linear(xa, lora.down()).singletonOrThrow(), lora.up())
                .singletonOrThrow(), adapters.config().scale());
        return y.add(TorchKernels.cast(delta, y.getDataType()));
    }
}
