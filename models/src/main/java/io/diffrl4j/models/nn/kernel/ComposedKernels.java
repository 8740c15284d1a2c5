package io.diffrl4j.models.nn.kernel;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;

import java.util.Objects;
import java.util.function.Supplier;

/**
 * The ops of {@link TorchKernels} composed from plain DJL ops: slower and, for attention,
 * holding the full (Tq x Tk) score matrix per head, but independent of TorchScript. They are the
 * fallbacks of {@link Kernels} and {@link AttentionBackend#auto()} and the references the kernels
 * are tested against. Intermediate arrays are closed before returning; the result belongs to the
 * first input's manager.
 */
public final class ComposedKernels {

    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);

    private ComposedKernels() {}

    /**
     * {@code softmax(q k^T / sqrt(D)) v} with matMul and softmax.
     *
     * @param q queries (..., Tq, D)
     * @param k keys (..., Tk, D)
     * @param v values (..., Tk, Dv)
     * @return (..., Tq, Dv)
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v) {
        Objects.requireNonNull(v, "v");
        int rq = q.getShape().dimension();
        int rk = k.getShape().dimension();
        if (rq < 2 || rk < 2) {
            throw new IllegalArgumentException(
                    "attention needs (..., T, D) inputs, got " + q.getShape() + " and "
                            + k.getShape());
        }
        double scale = 1.0 / Math.sqrt(q.getShape().get(rq - 1));
        return scoped(() -> ScalarMath.mul(q.matMul(k.swapAxes(rk - 2, rk - 1)), scale).softmax(-1).matMul(v));
    }

    /**
     * RMS norm over the last axis with diffusers' dtype handling (see {@link
     * TorchKernels#rmsNorm}).
     *
     * @param x the input (..., D)
     * @param weight the scale (D), or {@code null}
     * @param eps the epsilon
     * @return the normalized array
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        int last = x.getShape().dimension() - 1;
        return scoped(() -> {
            DataType inputType = x.getDataType();
            NDArray variance = x.toType(DataType.FLOAT32, false).square()
                    .mean(new int[] {last}, true);
            NDArray y = x.div(variance.add(eps).sqrt());
            if (weight == null) {
                return y.toType(inputType, false);
            }
            DataType wt = weight.getDataType();
            if (wt == DataType.FLOAT16) { // the only half type: this engine cannot hold bf16 arrays
                y = y.toType(wt, false);
            }
            return y.mul(weight);
        });
    }

    /**
     * Group norm: per sample and group, {@code (x - mean) / sqrt(biased var + eps)}, then
     * {@code * weight + bias} per channel.
     *
     * @param x the input (N, C, *)
     * @param groups the number of groups; divides C
     * @param weight the per-channel scale (C), or {@code null}
     * @param bias the per-channel shift (C), or {@code null}
     * @param eps the epsilon
     * @return the normalized array
     */
    public static NDArray groupNorm(
            NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        Shape shape = x.getShape();
        if (shape.dimension() < 2) {
            throw new IllegalArgumentException("group norm needs (N, C, *), got " + shape);
        }
        long n = shape.get(0);
        long c = shape.get(1);
        if (groups <= 0 || c % groups != 0) {
            throw new IllegalArgumentException(
                    "groups (" + groups + ") must be positive and divide C (" + c + ")");
        }
        long[] channelShape = new long[shape.dimension()];
        java.util.Arrays.fill(channelShape, 1);
        channelShape[1] = c;
        return scoped(() -> {
            NDArray xr = x.reshape(n, groups, -1);
            NDArray centered = xr.sub(xr.mean(new int[] {2}, true));
            NDArray var = centered.square().mean(new int[] {2}, true);
            NDArray y = centered.div(var.add(eps).sqrt()).reshape(shape);
            if (weight != null) {
                y = y.mul(weight.reshape(channelShape));
            }
            if (bias != null) {
                y = y.add(bias.reshape(channelShape));
            }
            return y;
        });
    }

    /**
     * Tanh-approximate GELU, {@code 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)))}.
     *
     * @param x the input
     * @return the activation
     */
    public static NDArray geluTanh(NDArray x) {
        return scoped(() -> {
            NDArray inner = ScalarMath.mul(x.add(ScalarMath.mul(x.mul(x).mul(x), 0.044715)), SQRT_2_OVER_PI);
            return ScalarMath.mul(x, 0.5).mul(inner.tanh().add(1.0));
        });
    }

    /**
     * Runs {@code body} in an {@link NDScope} so that its intermediates are closed, keeps the
     * result and hands it to the enclosing scope, if any.
     */
    static NDArray scoped(Supplier<NDArray> body) {
        NDArray result;
        try (NDScope scope = new NDScope()) {
            scope.suppressNotUsedWarning();
            result = body.get();
            NDScope.unregister(result);
        }
        NDScope.register(result);
        return result;
    }
}
