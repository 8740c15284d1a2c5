package io.diffrl4j.models.nn.kernel;

import java.util.Objects;

/**
 * The definition of a parameterless TorchScript kernel: a module class name (unique within a
 * {@link KernelRegistry}) and the TorchScript source of its methods ({@code forward} at least).
 * The inputs of {@code forward} are tensors only (DJL passes an {@code NDList}); constants such
 * as {@code eps} or a group count are baked into the source, one kernel per value.
 *
 * @param name the TorchScript class name, a Python identifier
 * @param source the method definitions, see {@link TorchScriptArchive.Builder#source(String)}
 */
public record KernelSpec(String name, String source) {

    /**
     * Validates the fields.
     *
     * @param name the class name
     * @param source the source
     */
    public KernelSpec {
        Objects.requireNonNull(name, "name");
        Objects.requireNonNull(source, "source");
        // Validates the name and the source's shape early.
        TorchScriptArchive.module(name).source(source);
    }

    /**
     * Returns an archive builder for this kernel.
     *
     * @return a new builder holding this spec's class and source
     */
    public TorchScriptArchive.Builder archive() {
        return TorchScriptArchive.module(name).source(source);
    }
}
