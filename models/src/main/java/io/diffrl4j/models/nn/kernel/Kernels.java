package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;

/**
 * The missing ops, fused when the TorchScript kernel loads and composed of DJL ops otherwise
 * (logging one warning per op family). Same contracts as {@link TorchKernels}.
 */
public final class Kernels {

    private Kernels() {}

    /**
     * Scaled-dot-product attention, see {@link AttentionBackend#auto()}.
     *
     * @param q queries (B, H, Tq, D)
     * @param k keys (B, H, Tk, D)
     * @param v values (B, H, Tk, Dv)
     * @return (B, H, Tq, Dv)
     */
    public static NDArray attention(NDArray q, NDArray k, NDArray v) {
        return AttentionBackend.auto().attend(q, k, v);
    }

    /**
     * RMS norm over the last axis (diffusers semantics), see {@link TorchKernels#rmsNorm}.
     *
     * @param x the input (..., D)
     * @param weight the scale (D), or {@code null}
     * @param eps the epsilon
     * @return the normalized array
     */
    public static NDArray rmsNorm(NDArray x, NDArray weight, double eps) {
        KernelSpec spec = TorchKernels.rmsNormSpec(eps, weight != null);
        return KernelFallbacks.lookup(spec, "RMS norm")
                .map(kernel -> TorchKernels.rmsNorm(kernel, x, weight))
                .orElseGet(() -> ComposedKernels.rmsNorm(x, weight, eps));
    }

    /**
     * Group norm, see {@link TorchKernels#groupNorm}.
     *
     * @param x the input (N, C, *)
     * @param groups the number of groups
     * @param weight the per-channel scale (C), or {@code null}
     * @param bias the per-channel shift (C), or {@code null}
     * @param eps the epsilon
     * @return the normalized array
     */
    public static NDArray groupNorm(
            NDArray x, int groups, NDArray weight, NDArray bias, double eps) {
        KernelSpec spec = TorchKernels.groupNormSpec(groups, eps, weight != null, bias != null);
        return KernelFallbacks.lookup(spec, "group norm")
                .map(kernel -> TorchKernels.groupNorm(kernel, x, weight, bias))
                .orElseGet(() -> ComposedKernels.groupNorm(x, groups, weight, bias, eps));
    }

    /**
     * Tanh-approximate GELU, see {@link TorchKernels#geluTanh}.
     *
     * @param x the input
     * @return the activation
     */
    public static NDArray geluTanh(NDArray x) {
        return KernelFallbacks.lookup(TorchKernels.GELU_TANH, "tanh GELU")
                .map(kernel -> kernel.apply(x))
                .orElseGet(() -> ComposedKernels.geluTanh(x));
    }
}
