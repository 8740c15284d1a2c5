package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;

import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * A read-only collection of named tensors on disk (one safetensors file, or a sharded checkpoint), read one tensor
 * at a time so that memory stays bounded by the largest tensor requested.
 *
 * <p>Floating-point tensors (F64, F32, F16, BF16) are converted on the way in to the requested {@code target}
 * type ({@link DataType#FLOAT32}, {@link DataType#FLOAT16} or {@link DataType#FLOAT64}); integer and boolean tensors
 * keep their stored type and ignore {@code target}, except I16, which is widened to INT32. No bf16 or 16-bit integer
 * array is ever created: either aborts the JVM with the PyTorch engine used here. Returned arrays belong to
 * the given manager (the caller closes them, or the manager does) and carry the tensor name via
 * {@link NDArray#setName}. Shapes are the stored shapes.
 *
 * <p>Implementations are safe for concurrent reads; {@link #close()} releases the file handles and must not race
 * with reads.
 */
public interface WeightSource extends AutoCloseable {

    /** @return every tensor name, in file (or index) order; unmodifiable */
    Set<String> names();

    /**
     * @param name a tensor name
     * @return its location, dtype and shape
     * @throws IllegalArgumentException if there is no such tensor
     * @throws java.io.UncheckedIOException if a lazily opened shard cannot be read
     */
    TensorInfo info(String name);

    /**
     * @param name a tensor name
     * @return whether the source holds it
     */
    boolean contains(String name);

    /**
     * Reads one tensor.
     *
     * @param name    the tensor name
     * @param manager owns the returned array (and decides its device)
     * @param target  element type for floating-point tensors: FLOAT32, FLOAT16 or FLOAT64
     * @return a new array named {@code name}, owned by {@code manager}
     * @throws IOException              if the file cannot be read
     * @throws IllegalArgumentException if there is no such tensor or {@code target} is not supported
     */
    NDArray read(String name, NDManager manager, DataType target) throws IOException;

    /**
     * The free-form string metadata of the checkpoint: the {@code __metadata__} header entry of a single file, or
     * the {@code metadata} object of a sharded index (values turned into strings).
     *
     * @return unmodifiable metadata, empty if none
     */
    Map<String, String> metadata();

    /**
     * Reads every tensor, in {@link #names()} order. Holds the whole checkpoint in memory; prefer {@link #read}
     * one tensor at a time for multi-GB checkpoints.
     *
     * @param manager owns the returned arrays
     * @param target  element type for floating-point tensors
     * @return name to array, in {@link #names()} order
     * @throws IOException if a file cannot be read (arrays read so far are closed)
     */
    default Map<String, NDArray> readAll(NDManager manager, DataType target) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        try {
            for (String name : names()) {
                out.put(name, read(name, manager, target));
            }
        } catch (IOException | RuntimeException e) {
            out.values().forEach(NDArray::close);
            throw e;
        }
        return out;
    }

    /** Releases the underlying files. */
    @Override
    void close() throws IOException;
}
