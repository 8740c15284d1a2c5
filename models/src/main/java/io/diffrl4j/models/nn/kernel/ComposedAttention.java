package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;

/**
 * {@link AttentionBackend} composed of DJL ops (matMul, softmax, matMul); holds the full
 * (Tq x Tk) score matrix per head. See {@link ComposedKernels#attention}.
 */
public final class ComposedAttention implements AttentionBackend {

    /** The shared instance. */
    public static final ComposedAttention INSTANCE = new ComposedAttention();

    private ComposedAttention() {}

    /** {@inheritDoc} */
    @Override
    public NDArray attend(NDArray q, NDArray k, NDArray v) {
        return ComposedKernels.attention(q, k, v);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "composed";
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "ComposedAttention";
    }
}
