package io.diffrl4j.core.flow;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;

/**
 * Array-with-number arithmetic that is safe under autograd.
 *
 * <p>Why: DJL's PyTorch engine implements {@code x.mul(2.0)} (and {@code div}, {@code pow},
 * {@code maximum}, {@code minimum}, ...) by wrapping the number in a tensor over a Java direct
 * buffer, running the op, and closing that tensor. Autograd keeps the number's tensor for the
 * backward pass of {@code mul}, {@code div}, {@code pow}, {@code maximum} and {@code minimum}, but
 * the buffer behind it is freed by the garbage collector at some later point: gradients then read
 * freed memory, which shows up as run-to-run differences or NaN. The scalars made here live in
 * libtorch-owned memory ({@code full}), which autograd keeps alive as long as it needs.
 *
 * <p>Use these in every differentiable path; plain {@code add}/{@code sub} with a number save
 * nothing and are safe. Results follow DJL's rule: they belong to {@code x}'s manager.
 */
public final class ScalarMath {
    private ScalarMath() {}

    /** @return a 0-d array of {@code x}'s type holding {@code value}, in {@code x}'s manager, libtorch-owned */
    public static NDArray scalar(NDArray x, double value) {
        return x.getManager().full(new Shape(), (float) value, x.getDataType());
    }

    /** @return {@code x * value} */
    public static NDArray mul(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.mul(s);
        }
    }

    /** @return {@code x / value} */
    public static NDArray div(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.div(s);
        }
    }

    /** @return {@code x ^ exponent} */
    public static NDArray pow(NDArray x, double exponent) {
        try (NDArray s = scalar(x, exponent)) {
            return x.pow(s);
        }
    }

    /** @return the element-wise maximum of {@code x} and {@code value} */
    public static NDArray maximum(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.maximum(s);
        }
    }

    /** @return the element-wise minimum of {@code x} and {@code value} */
    public static NDArray minimum(NDArray x, double value) {
        try (NDArray s = scalar(x, value)) {
            return x.minimum(s);
        }
    }
}
