package io.diffrl4j.models.text;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.models.nn.ModuleBlock;

/**
 * What every frozen encoder of this package shares ({@link ClipTextModel}, {@link
 * ClipVisionModel}, {@link T5EncoderModel}): its config, one manager that owns the weights
 * (created under the parent given when loading, which decides the device), and the weights' type.
 * {@link #close()} frees the weights.
 *
 * @param <C> the config type
 */
public abstract class AbstractEncoderModel<C> implements AutoCloseable {
    /** The architecture. */
    protected final C config;
    /** Owns the weights; per-call scopes are its sub-managers. */
    protected final NDManager manager;
    private final ModuleBlock modules;
    private final DataType dtype;

    /**
     * @param config the architecture
     * @param modules the loaded module tree
     * @param manager the manager owning its weights
     * @param dtype the weights' type
     */
    protected AbstractEncoderModel(C config, ModuleBlock modules, NDManager manager, DataType dtype) {
        this.config = config;
        this.modules = modules;
        this.manager = manager;
        this.dtype = dtype;
    }

    /** @return the architecture */
    public final C config() {
        return config;
    }

    /** @return the weights' type: FLOAT32 or FLOAT16 */
    public final DataType dtype() {
        return dtype;
    }

    /** @return the number of parameters */
    public final long parameterCount() {
        return EncoderSupport.parameterCount(modules);
    }

    /** Frees the weights. */
    @Override
    public final void close() {
        manager.close();
    }
}
