package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;

/** A square 2D convolution with bias, PyTorch's {@code nn.Conv2d} layout: weight (out, in, k, k). */
final class Conv extends VaeModule {
    private final Shape stride;
    private final Shape padding;
    private final Parameter weight;
    private final Parameter bias;

    Conv(int in, int out, int kernel, int stride, int padding) {
        this.stride = new Shape(stride, stride);
        this.padding = new Shape(padding, padding);
        this.weight = parameter("weight", new Shape(out, in, kernel, kernel));
        this.bias = parameter("bias", new Shape(out));
    }

    /** A 3x3 convolution that keeps the spatial size. */
    static Conv same3x3(int in, int out) {
        return new Conv(in, out, 3, 1, 1);
    }

    /** A 1x1 convolution (channel mixing). */
    static Conv pointwise(int in, int out) {
        return new Conv(in, out, 1, 1, 0);
    }

    /** @param x (B, in, H, W) @return (B, out, H', W'), in x's manager */
    NDArray forward(NDArray x) {
        return Conv2d.conv2d(x, value(weight), value(bias), stride, padding, new Shape(1, 1), 1).singletonOrThrow();
    }
}
