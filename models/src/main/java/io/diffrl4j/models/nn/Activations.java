package io.diffrl4j.models.nn;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.norm.LayerNorm;

/** Element-wise functions and parameter-free normalisations the MMDiT needs and DJL names differently. */
public final class Activations {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

    private Activations() {}

    /** @return {@code x * sigmoid(x)} */
    public static NDArray silu(NDArray x) {
        return Activation.sigmoid(x).mul(x);
    }

    /** @return the tanh approximation of GELU, PyTorch's {@code gelu(approximate="tanh")} */
    public static NDArray geluTanh(NDArray x) {
        NDArray inner = ScalarMath.mul(x.add(ScalarMath.mul(x.square().mul(x), 0.044715)), SQRT_2_OVER_PI);
        return ScalarMath.mul(x.mul(inner.tanh().add(1)), 0.5);
    }

    /**
     * Layer normalisation over the last axis without a learned scale or shift
     * ({@code elementwise_affine=False}).
     *
     * @param x (..., D)
     * @param eps added to the variance
     * @return the normalised array, same shape
     */
    public static NDArray layerNorm(NDArray x, float eps) {
        long d = x.getShape().get(x.getShape().dimension() - 1);
        NDArray gamma = x.getManager().ones(new Shape(d), x.getDataType());
        NDArray beta = x.getManager().zeros(new Shape(d), x.getDataType());
        return LayerNorm.layerNorm(x, new Shape(d), gamma, beta, eps).singletonOrThrow();
    }
}
