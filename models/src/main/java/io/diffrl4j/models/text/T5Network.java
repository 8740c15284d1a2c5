package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.models.nn.RmsNorm;
import io.diffrl4j.core.flow.ScalarMath;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The module tree of transformers' {@code T5EncoderModel}, by its parameter names. */
final class T5Network extends ModuleBlock {
    private final T5Config config;
    private final EmbeddingTable shared;
    private final List<T5Block> blocks = new ArrayList<>();
    private final RmsNorm finalNorm;

    T5Network(T5Config config) {
        this.config = config;
        shared = module("shared", new EmbeddingTable());
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(module("encoder.block." + i, new T5Block(config, i == 0)));
        }
        finalNorm = module("encoder.final_layer_norm", new RmsNorm((float) config.layerNormEpsilon()));
    }

    /** @return every parameter's shape as the config defines it, by transformers name */
    static Map<String, Shape> shapes(T5Config c) {
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("shared.weight", new Shape(c.vocabSize(), c.dModel()));
        for (int i = 0; i < c.numLayers(); i++) {
            String p = "encoder.block." + i + ".layer.";
            s.put(p + "0.layer_norm.weight", new Shape(c.dModel()));
            s.put(p + "0.SelfAttention.q.weight", new Shape(c.innerDim(), c.dModel()));
            s.put(p + "0.SelfAttention.k.weight", new Shape(c.innerDim(), c.dModel()));
            s.put(p + "0.SelfAttention.v.weight", new Shape(c.innerDim(), c.dModel()));
            s.put(p + "0.SelfAttention.o.weight", new Shape(c.dModel(), c.innerDim()));
            if (i == 0) {
                s.put(p + "0.SelfAttention.relative_attention_bias.weight",
                        new Shape(c.relativeAttentionNumBuckets(), c.numHeads()));
            }
            s.put(p + "1.layer_norm.weight", new Shape(c.dModel()));
            for (String wi : c.gatedAct() ? List.of("wi_0", "wi_1") : List.of("wi")) {
                s.put(p + "1.DenseReluDense." + wi + ".weight", new Shape(c.dFf(), c.dModel()));
            }
            s.put(p + "1.DenseReluDense.wo.weight", new Shape(c.dModel(), c.dFf()));
        }
        s.put("encoder.final_layer_norm.weight", new Shape(c.dModel()));
        return s;
    }

    /**
     * @param ids (B, T) INT64 token ids
     * @return the last hidden state (B, T, D), after the final RMS norm, owned by ids' manager
     */
    NDArray forward(NDArray ids) {
        int t = (int) ids.getShape().get(1);
        NDArray x = shared.lookup(ids);
        // Computed once from the first block's table and shared by every block, as in transformers.
        NDArray bias = blocks.get(0).relativeBias().lookup(relativeBuckets(ids.getManager(), t, t))
                .transpose(2, 0, 1).expandDims(0);
        for (T5Block block : blocks) {
            x = EncoderSupport.scoped(x, in -> block.forward(in, bias));
        }
        return finalNorm.forward(x);
    }

    /**
     * transformers' {@code T5Attention._relative_position_bucket} for an encoder (bidirectional):
     * half the buckets per direction; within one, distances below half of those are their own
     * bucket and longer ones share log-spaced buckets up to {@code max_distance}. The log term is
     * computed by libtorch in fp32 and truncated, exactly as transformers does, so that distances
     * on a bucket boundary land in the same bucket.
     *
     * @param manager owner of the result
     * @param queryLength Tq
     * @param keyLength Tk
     * @return (Tq, Tk) INT64 bucket of key position minus query position
     */
    NDArray relativeBuckets(NDManager manager, int queryLength, int keyLength) {
        int numBuckets = config.relativeAttentionNumBuckets() / 2;
        int maxExact = numBuckets / 2;
        NDArray context = manager.arange(queryLength).toType(DataType.INT64, false).reshape(queryLength, 1);
        NDArray memory = manager.arange(keyLength).toType(DataType.INT64, false).reshape(1, keyLength);
        NDArray relative = memory.sub(context);
        NDArray direction = relative.gt(0).toType(DataType.INT64, false).mul(numBuckets);
        NDArray distance = relative.abs();
        // max(distance, max_exact) only keeps log(0) out of the positions the small branch takes.
        NDArray ratio = ScalarMath.div(distance.maximum(maxExact).toType(DataType.FLOAT32, false), maxExact);
        NDArray scaled = ScalarMath.mul(ScalarMath.div(ratio.log(),
                Math.log((double) config.relativeAttentionMaxDistance() / maxExact)), numBuckets - maxExact);
        NDArray large = scaled.toType(DataType.INT64, false).add(maxExact).minimum(numBuckets - 1);
        return direction.add(NDArrays.where(distance.lt(maxExact), distance, large));
    }
}
