package io.diffrl4j.models.nn.kernel;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/** Looks kernels up in the global registry and warns once per kernel family on a fallback. */
final class KernelFallbacks {

    private static final Logger LOG = LoggerFactory.getLogger(KernelFallbacks.class);
    private static final Set<String> WARNED = ConcurrentHashMap.newKeySet();

    private KernelFallbacks() {}

    /**
     * Returns the kernel, or empty (after one warning per {@code family}) if it cannot load.
     *
     * @param spec the kernel
     * @param family what to name in the warning, e.g. "attention"
     * @return the kernel if it loads
     */
    static Optional<TorchKernel> lookup(KernelSpec spec, String family) {
        return lookup(KernelRegistry.global(), spec, family);
    }

    /**
     * Returns the kernel from {@code registry}, or empty (after one warning per {@code family}).
     *
     * @param registry where to load the kernel
     * @param spec the kernel
     * @param family what to name in the warning
     * @return the kernel if it loads
     */
    static Optional<TorchKernel> lookup(KernelRegistry registry, KernelSpec spec, String family) {
        try {
            return Optional.of(registry.get(spec));
        } catch (KernelException e) {
            if (WARNED.add(family)) {
                LOG.warn("Fused {} kernel unavailable, falling back to composed DJL ops "
                        + "(slower, more memory): {}", family, e.getMessage());
                LOG.debug("Fused {} kernel load failure", family, e);
            }
            return Optional.empty();
        }
    }

    /**
     * The fused attention backend of {@code registry} if its kernel loads, else the composed one.
     *
     * @param registry where to load the kernel
     * @return the backend
     */
    static AttentionBackend attention(KernelRegistry registry) {
        if (lookup(registry, TorchKernels.SDPA, "attention").isEmpty()) {
            return ComposedAttention.INSTANCE;
        }
        return registry == KernelRegistry.global()
                ? FusedAttention.INSTANCE
                : new FusedAttention(registry);
    }
}
