package io.diffrl4j.models.sd3;

import io.diffrl4j.core.weights.TensorInfo;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.Set;
import java.util.TreeSet;

/**
 * What a component's checkpoint holds, read from the safetensors headers only (nothing is loaded):
 * for planning memory before a run.
 *
 * @param component the pipeline component, e.g. {@code transformer}
 * @param tensors tensors stored
 * @param parameters elements stored, over all tensors
 * @param storedBytes bytes of tensor data on disk
 * @param storedDtypes the safetensors dtypes found, e.g. {@code [BF16]}
 */
public record WeightSummary(String component, int tensors, long parameters, long storedBytes, Set<String> storedDtypes) {
    /** Copies the set. */
    public WeightSummary {
        storedDtypes = Set.copyOf(new TreeSet<>(storedDtypes));
    }

    /**
     * @param component the component's name
     * @param weights its open checkpoint (read, not closed)
     * @return the summary of every tensor in it
     * @throws IOException when a header cannot be read
     */
    public static WeightSummary of(String component, WeightSource weights) throws IOException {
        long parameters = 0;
        long bytes = 0;
        Set<String> dtypes = new TreeSet<>();
        for (String name : weights.names()) {
            TensorInfo info = weights.info(name);
            parameters += info.numElements();
            bytes += info.byteLength();
            dtypes.add(info.dtype().name());
        }
        return new WeightSummary(component, weights.names().size(), parameters, bytes, dtypes);
    }

    /**
     * @param bytesPerParameter 2 for FLOAT16, 4 for FLOAT32
     * @return the bytes the weights take once loaded at that precision
     */
    public long loadedBytes(int bytesPerParameter) {
        return parameters * bytesPerParameter;
    }
}
