package io.diffrl4j.models.nn;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.AbstractBlock;
import ai.djl.nn.Parameter;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiConsumer;

/**
 * A DJL block whose children and parameters carry the names of the reference PyTorch module
 * ({@code transformer_blocks.0.attn.to_q.weight}), so that weights load and save under diffusers'
 * keys. DJL's own child names are numbered; {@link #namedParameters()} gives the dotted paths.
 *
 * <p>Parameters are not shape-inferred: their arrays are set by a loader or an initialiser, and
 * the blocks expose typed {@code forward} methods. Shapes depend on the data (image size, prompt
 * length), so {@link #getOutputShapes} is not supported.
 */
public abstract class ModuleBlock extends AbstractBlock {
    private final Map<String, ModuleBlock> modules = new LinkedHashMap<>();
    private final Map<String, Parameter> params = new LinkedHashMap<>();

    /** Registers a child module under its reference name. */
    protected <B extends ModuleBlock> B module(String name, B child) {
        modules.put(name, child);
        addChildBlock(name, child);
        return child;
    }

    /** Registers a parameter under its reference name; its array is set later. */
    protected Parameter parameter(String name) {
        Parameter p = Parameter.builder().setName(name).setType(Parameter.Type.OTHER).build();
        addParameter(p);
        params.put(name, p);
        return p;
    }

    /** @return the direct children by reference name */
    public Map<String, ModuleBlock> modules() {
        return Collections.unmodifiableMap(modules);
    }

    /** @return every parameter of this subtree by its dotted reference path, in module order */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        collect("", out);
        return out;
    }

    /** Visits every module of this subtree with its dotted path ("" for this one). */
    public void visitModules(BiConsumer<String, ModuleBlock> visitor) {
        visit("", visitor);
    }

    private void visit(String prefix, BiConsumer<String, ModuleBlock> visitor) {
        visitor.accept(prefix, this);
        for (Map.Entry<String, ModuleBlock> e : modules.entrySet()) {
            e.getValue().visit(prefix.isEmpty() ? e.getKey() : prefix + "." + e.getKey(), visitor);
        }
    }

    private void collect(String prefix, Map<String, Parameter> out) {
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            out.put(prefix + e.getKey(), e.getValue());
        }
        for (Map.Entry<String, ModuleBlock> e : modules.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out);
        }
    }

    /** @return the parameter's array @throws IllegalStateException if no weights were loaded */
    protected static NDArray value(Parameter p) {
        NDArray a = p.getArray();
        if (a == null) {
            throw new IllegalStateException("parameter " + p.getName() + " has no value: load or initialise the model");
        }
        return a;
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " is called through its typed forward method");
    }

    @Override
    public Shape[] getOutputShapes(Shape[] inputShapes) {
        throw new UnsupportedOperationException("output shapes of " + getClass().getSimpleName() + " depend on the data");
    }
}
