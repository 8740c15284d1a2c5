package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;

/**
 * Scaled-dot-product attention over (B, H, T, D) arrays: {@code softmax(q k^T / sqrt(D)) v}, no
 * mask, no dropout. The result belongs to {@code q}'s manager and is differentiable w.r.t. q, k
 * and v.
 */
public interface AttentionBackend {

    /**
     * Attends.
     *
     * @param q queries (B, H, Tq, D)
     * @param k keys (B, H, Tk, D)
     * @param v values (B, H, Tk, Dv)
     * @return (B, H, Tq, Dv)
     */
    NDArray attend(NDArray q, NDArray k, NDArray v);

    /**
     * A short name for logs and benchmarks.
     *
     * @return "fused" or "composed" for the built-in backends
     */
    String name();

    /**
     * The fused TorchScript backend; it fails on use if the kernel cannot be loaded.
     *
     * @return the fused backend
     */
    static AttentionBackend fused() {
        return FusedAttention.INSTANCE;
    }

    /**
     * The backend composed of DJL ops.
     *
     * @return the composed backend
     */
    static AttentionBackend composed() {
        return ComposedAttention.INSTANCE;
    }

    /**
     * The fused backend if its kernel loads, else (with one logged warning per JVM) the
     * composed one. The kernel is loaded on the first call; later calls are cheap.
     *
     * @return the best available backend
     */
    static AttentionBackend auto() {
        return KernelFallbacks.attention(KernelRegistry.global());
    }

    /**
     * Same as {@link #auto()}.
     *
     * @return the best available backend
     */
    static AttentionBackend defaultBackend() {
        return auto();
    }
}
