package io.diffrl4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.DataType;
import ai.djl.nn.Parameter;
import io.diffrl4j.models.nn.kernel.TorchKernels;

/**
 * RMS normalisation over the last axis with a learned scale, as diffusers' {@code RMSNorm}: the
 * mean square is taken in fp32, {@code x * rsqrt(mean(x^2) + eps) * weight}, result in the input's
 * type.
 */
public final class RmsNorm extends ModuleBlock {
    private final float eps;
    private final Parameter weight;

    /** @param eps added to the mean square (diffusers' SD3 uses 1e-6) */
    public RmsNorm(float eps) {
        this.eps = eps;
        this.weight = parameter("weight");
    }

    /** @param x (..., D) @return normalised x, same shape and type */
    public NDArray forward(NDArray x) {
        DataType type = x.getDataType();
        NDArray x32 = TorchKernels.cast(x, DataType.FLOAT32);
        NDArray variance = x32.square().mean(new int[] {-1}, true);
        NDArray normed = x32.div(variance.add(eps).sqrt());
        NDArray w = value(weight);
        if (w.getDataType() == DataType.FLOAT16) {
            return TorchKernels.cast(normed, DataType.FLOAT16).mul(w);
        }
        NDArray scaled = normed.mul(w);
        return TorchKernels.cast(scaled, type);
    }
}
