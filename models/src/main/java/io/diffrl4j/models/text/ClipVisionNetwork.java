package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** The module tree of transformers' {@code CLIPVisionModelWithProjection}, by its parameter names. */
final class ClipVisionNetwork extends ModuleBlock {
    private final ClipVisionEmbeddings embeddings;
    private final AffineLayerNorm preNorm;
    private final List<ClipEncoderLayer> layers = new ArrayList<>();
    private final AffineLayerNorm postNorm;
    private final LoraLinear projection;

    ClipVisionNetwork(ClipVisionConfig config) {
        embeddings = module("vision_model.embeddings", new ClipVisionEmbeddings(config));
        preNorm = module("vision_model.pre_layrnorm", new AffineLayerNorm(config.layerNormEps()));
        for (int i = 0; i < config.numHiddenLayers(); i++) {
            layers.add(module("vision_model.encoder.layers." + i, new ClipEncoderLayer(config.encoder())));
        }
        postNorm = module("vision_model.post_layernorm", new AffineLayerNorm(config.layerNormEps()));
        projection = module("visual_projection", new LoraLinear(config.hiddenSize(), config.projectionDim(), false));
    }

    /** @return every parameter's shape as the config defines it, by transformers name */
    static Map<String, Shape> shapes(ClipVisionConfig c) {
        long d = c.hiddenSize();
        long p = c.patchSize();
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("vision_model.embeddings.class_embedding", new Shape(d));
        s.put("vision_model.embeddings.patch_embedding.weight", new Shape(d, c.numChannels(), p, p));
        s.put("vision_model.embeddings.position_embedding.weight", new Shape(c.numPositions(), d));
        ClipEncoderShape.putNorm(s, "vision_model.pre_layrnorm", d);
        for (int i = 0; i < c.numHiddenLayers(); i++) {
            c.encoder().putLayerShapes(s, "vision_model.encoder.layers." + i + ".");
        }
        ClipEncoderShape.putNorm(s, "vision_model.post_layernorm", d);
        s.put("visual_projection.weight", new Shape(c.projectionDim(), d));
        return s;
    }

    /**
     * @param pixels (B, C, S, S) in the weights' type
     * @return the last layer's output (B, 1 + N, D), the post-layer-normed class token (B, D) and
     *     the image embeddings (B, P), in the weights' type, owned by pixels' manager
     */
    NDArray[] forward(NDArray pixels) {
        NDArray x = preNorm.forward(embeddings.forward(pixels));
        for (ClipEncoderLayer layer : layers) {
            x = EncoderSupport.scoped(x, in -> layer.forward(in, null));
        }
        NDArray pooled = postNorm.forward(x.get(new NDIndex(":, 0, :")));
        return new NDArray[] {x, pooled, projection.forward(pooled)};
    }
}
