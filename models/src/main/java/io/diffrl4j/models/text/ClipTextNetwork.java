package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The module tree of transformers' {@code CLIPTextModelWithProjection}, by its parameter names. */
final class ClipTextNetwork extends ModuleBlock {
    private static final float HALF_LOWEST = -65504f;

    private final ClipTextConfig config;
    private final EmbeddingTable tokenEmbedding;
    private final EmbeddingTable positionEmbedding;
    private final List<ClipEncoderLayer> layers = new ArrayList<>();
    private final AffineLayerNorm finalNorm;
    private final LoraLinear projection;

    ClipTextNetwork(ClipTextConfig config) {
        this.config = config;
        tokenEmbedding = module("text_model.embeddings.token_embedding", new EmbeddingTable());
        positionEmbedding = module("text_model.embeddings.position_embedding", new EmbeddingTable());
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(module("text_model.encoder.layers." + i, new ClipEncoderLayer(config.encoder())));
        }
        finalNorm = module("text_model.final_layer_norm", new AffineLayerNorm(config.layerNormEps()));
        projection = module("text_projection", new LoraLinear(config.hiddenSize(), config.projectionDim(), false));
    }

    /** @return every parameter's shape as the config defines it, by transformers name */
    static Map<String, Shape> shapes(ClipTextConfig c) {
        long d = c.hiddenSize();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("text_model.embeddings.token_embedding.weight", new Shape(c.vocabSize(), d));
        s.put("text_model.embeddings.position_embedding.weight", new Shape(c.maxPositionEmbeddings(), d));
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            c.encoder().putLayerShapes(s, "text_model.encoder.layers." + i + ".");
        }
        ClipEncoderShape.putNorm(s, "text_model.final_layer_norm", d);
        s.put("text_projection.weight", new Shape(c.projectionDim(), d));
        return s;
    }

    /**
     * @param ids (B, T) INT64 token ids
     * @return penultimate hidden state (B, T, D), last hidden state (B, T, D) and text embeddings
     *     (B, P), in the weights' type, owned by ids' manager
     */
    NDArray[] forward(NDArray ids) {
        NDManager owner = ids.getManager();
        long b = ids.getShape().get(0);
        int t = (int) ids.getShape().get(1);
        NDArray x = tokenEmbedding.lookup(ids).add(positionEmbedding.firstRows(owner, t));
        NDArray mask = causalMask(owner, t, x.getDataType());
        NDArray penultimate = x;
        for (ClipEncoderLayer layer : layers) {
            penultimate = x;
            x = EncoderSupport.scoped(x, in -> layer.forward(in, mask));
        }
        NDArray last = finalNorm.forward(x);
        NDArray index = eosPositions(ids).reshape(b, 1, 1).broadcast(new Shape(b, 1, config.hiddenSize()));
        NDArray pooled = last.gather(index, 1).reshape(b, config.hiddenSize());
        return new NDArray[] {penultimate, last, projection.forward(pooled)};
    }

    /**
     * Where transformers takes the pooled output: the first {@code eos_token_id} of each row, or,
     * for legacy configs, the largest id (CLIP's EOS is the last vocabulary entry). A row without
     * EOS pools position 0, as transformers does.
     *
     * @param ids (B, T) INT64
     * @return (B) INT64 positions, in ids' manager
     */
    NDArray eosPositions(NDArray ids) {
        if (config.legacyEos()) {
            return ids.argMax(1);
        }
        // argmax returns the first maximal index: the first EOS.
        return ids.eq(config.eosTokenId()).toType(DataType.INT32, false).argMax(1);
    }

    /** (1, 1, T, T): 0 on and below the diagonal, the type's lowest finite value above it. */
    private static NDArray causalMask(NDManager manager, int t, DataType type) {
        float lowest = type == DataType.FLOAT16 ? HALF_LOWEST : -Float.MAX_VALUE;
        float[] m = new float[t * t];
        for (int i = 0; i < t; i++) {
            Arrays.fill(m, i * t + i + 1, (i + 1) * t, lowest);
        }
        return manager.create(m, new Shape(1, 1, t, t)).toType(type, false);
    }
}
