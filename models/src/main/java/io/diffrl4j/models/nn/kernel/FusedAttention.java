package io.diffrl4j.models.nn.kernel;

import ai.djl.ndarray.NDArray;

/**
 * {@link AttentionBackend} running {@code torch.scaled_dot_product_attention} as a TorchScript
 * kernel (see {@link TorchKernels#sdpa}); it throws {@link KernelException} on use if the kernel
 * cannot be loaded.
 */
public final class FusedAttention implements AttentionBackend {

    /** The shared instance. */
    public static final FusedAttention INSTANCE = new FusedAttention(null);

    /** The registry to load the kernel from; {@code null} for the global one. */
    private final KernelRegistry registry;

    FusedAttention(KernelRegistry registry) {
        this.registry = registry;
    }

    /** {@inheritDoc} */
    @Override
    public NDArray attend(NDArray q, NDArray k, NDArray v) {
        KernelRegistry r = registry == null ? KernelRegistry.global() : registry;
        return r.get(TorchKernels.SDPA).apply(q, k, v);
    }

    /** {@inheritDoc} */
    @Override
    public String name() {
        return "fused";
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "FusedAttention";
    }
}
