package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.norm.LayerNorm;
import io.diffrl4j.models.nn.ModuleBlock;

/** PyTorch's {@code nn.LayerNorm} over the last axis with its learned {@code weight} and {@code bias}. */
final class AffineLayerNorm extends ModuleBlock {
    private final float eps;
    private final Parameter weight;
    private final Parameter bias;

    AffineLayerNorm(double eps) {
        this.eps = (float) eps;
        this.weight = parameter("weight");
        this.bias = parameter("bias");
    }

    /** @param x (..., D) @return normalised, scaled and shifted x, same shape, in x's manager */
    NDArray forward(NDArray x) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        return LayerNorm.layerNorm(x, new Shape(d), value(weight), value(bias), eps).singletonOrThrow();
    }
}
