package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.weights.TensorInfo;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;

/**
 * The tensors of one part of a checkpoint (one tower of a {@code CLIPModel}), so that the part's
 * loader checks names against its own parameters only. A view: closing it leaves the source open.
 */
final class WeightSubset implements WeightSource {
    private final WeightSource source;
    private final Set<String> names;

    /**
     * @param source the whole checkpoint
     * @param keep which names belong to the part
     */
    WeightSubset(WeightSource source, Predicate<String> keep) {
        this.source = source;
        Set<String> kept = new LinkedHashSet<>();
        for (String name : source.names()) {
            if (keep.test(name)) {
                kept.add(name);
            }
        }
        this.names = Collections.unmodifiableSet(kept);
    }

    /** @return the names of {@code source} that the subset leaves out */
    static Set<String> outside(WeightSource source, Set<String> subset) {
        Set<String> rest = new LinkedHashSet<>(source.names());
        rest.removeAll(subset);
        return rest;
    }

    @Override
    public Set<String> names() {
        return names;
    }

    @Override
    public TensorInfo info(String name) {
        return source.info(checked(name));
    }

    @Override
    public boolean contains(String name) {
        return names.contains(name);
    }

    @Override
    public NDArray read(String name, NDManager manager, DataType target) throws IOException {
        return source.read(checked(name), manager, target);
    }

    @Override
    public Map<String, String> metadata() {
        return source.metadata();
    }

    /** Leaves the source open: its owner closes it. */
    @Override
    public void close() {}

    private String checked(String name) {
        if (!names.contains(name)) {
            throw new IllegalArgumentException("no tensor named " + name + " in this part of the checkpoint");
        }
        return name;
    }
}
