package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Parameter;
import ai.djl.nn.core.Embedding;
import io.diffrl4j.models.nn.ModuleBlock;

/** A lookup table with PyTorch's {@code nn.Embedding} parameter name ({@code weight}: rows x width). */
final class EmbeddingTable extends ModuleBlock {
    private final Parameter weight;

    EmbeddingTable() {
        this.weight = parameter("weight");
    }

    /** @param ids INT64 indices, any shape @return (ids..., width), in ids' manager */
    NDArray lookup(NDArray ids) {
        return Embedding.embedding(ids, value(weight), SparseFormat.DENSE).singletonOrThrow();
    }

    /** @return the first {@code n} rows (n, width), owned by {@code manager} */
    NDArray firstRows(NDManager manager, long n) {
        return value(weight).get(manager, new NDIndex(":{}", n));
    }
}
