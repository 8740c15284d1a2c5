package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * Tiny CLIP models with seeded random weights under transformers' names, written as a
 * {@code CLIPModel} folder ({@code config.json} + {@code model.safetensors}), for this module's and
 * other modules' tests.
 */
public final class TinyClip {
    /** Width 8, 2 heads, 1 layer, 8 x 8 images of 4 x 4 patches (5 positions), embeddings of 6. */
    public static final ClipVisionConfig VISION = new ClipVisionConfig(8, 12, 6, 1, 2, 3, 8, 4, "quick_gelu", 1e-5);
    /**
     * Width 8, 2 heads, 1 layer, 77 tokens, vocabulary of 48, embeddings of 6; eos_token_id 2 (as
     * OpenAI's configs): pooled at the largest id of each row, the end of text in CLIP vocabularies.
     */
    public static final ClipTextConfig TEXT = new ClipTextConfig(48, 8, 12, 6, 1, 2, 77, "quick_gelu", 1e-5, 2);
    /** The stored logit scale: exp(2.5) = 12.18... */
    public static final float LOGIT_SCALE = 2.5f;

    private TinyClip() {}

    /** @return one N(0, 0.5^2) array of each shape, drawn in order from {@code seed}, named */
    public static Map<String, NDArray> random(Map<String, Shape> shapes, NDManager m, long seed) {
        Random r = new Random(seed);
        Map<String, NDArray> out = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> {
            float[] v = new float[(int) shape.size()];
            for (int i = 0; i < v.length; i++) {
                v[i] = (float) (0.5 * r.nextGaussian());
            }
            NDArray a = m.create(v, shape);
            a.setName(name);
            out.put(name, a);
        });
        return out;
    }

    /** @return random weights of the vision tower {@code config}, by transformers' names */
    public static Map<String, NDArray> visionWeights(ClipVisionConfig config, NDManager m, long seed) {
        return random(ClipVisionNetwork.shapes(config), m, seed);
    }

    /** @return random weights of a CLIPTextModelWithProjection with {@code config}, by transformers' names */
    public static Map<String, NDArray> textWeights(ClipTextConfig config, NDManager m, long seed) {
        return random(ClipTextNetwork.shapes(config), m, seed);
    }

    /** @return the {@code config.json} of a CLIPTextModelWithProjection with {@code c} */
    public static ObjectNode textConfig(ClipTextConfig c) {
        ObjectNode t = new ObjectMapper().createObjectNode();
        t.putArray("architectures").add("CLIPTextModelWithProjection");
        t.put("model_type", "clip_text_model");
        t.put("vocab_size", c.vocabSize());
        t.put("hidden_size", c.hiddenSize());
        t.put("intermediate_size", c.intermediateSize());
        t.put("projection_dim", c.projectionDim());
        t.put("num_hidden_layers", c.numHiddenLayers());
        t.put("num_attention_heads", c.numAttentionHeads());
        t.put("max_position_embeddings", c.maxPositionEmbeddings());
        t.put("hidden_act", c.hiddenAct());
        t.put("layer_norm_eps", c.layerNormEps());
        t.put("eos_token_id", c.eosTokenId());
        return t;
    }

    /** @return random weights of a CLIPModel with {@link #TEXT} and {@link #VISION}, and {@link #LOGIT_SCALE} */
    public static Map<String, NDArray> clipWeights(NDManager m, long seed) {
        Map<String, NDArray> all = new LinkedHashMap<>(random(ClipTextNetwork.shapes(TEXT), m, seed));
        all.putAll(visionWeights(VISION, m, seed + 1));
        all.put("logit_scale", m.create(LOGIT_SCALE));
        return all;
    }

    /**
     * @return the {@code config.json} of a CLIPModel with {@link #TEXT} and {@link #VISION}; the
     *     sub-configs' own projection_dim (99) is overridden by the top-level one, as in transformers
     */
    public static ObjectNode clipConfig() {
        ObjectMapper json = new ObjectMapper();
        ObjectNode c = json.createObjectNode();
        c.put("model_type", "clip");
        c.put("projection_dim", VISION.projectionDim());
        ObjectNode t = c.putObject("text_config");
        t.put("vocab_size", TEXT.vocabSize());
        t.put("hidden_size", TEXT.hiddenSize());
        t.put("intermediate_size", TEXT.intermediateSize());
        t.put("projection_dim", 99);
        t.put("num_hidden_layers", TEXT.numHiddenLayers());
        t.put("num_attention_heads", TEXT.numAttentionHeads());
        t.put("max_position_embeddings", TEXT.maxPositionEmbeddings());
        t.put("eos_token_id", TEXT.eosTokenId());
        ObjectNode v = c.putObject("vision_config");
        v.put("hidden_size", VISION.hiddenSize());
        v.put("intermediate_size", VISION.intermediateSize());
        v.put("projection_dim", 99);
        v.put("num_hidden_layers", VISION.numHiddenLayers());
        v.put("num_attention_heads", VISION.numAttentionHeads());
        v.put("image_size", VISION.imageSize());
        v.put("patch_size", VISION.patchSize());
        return c;
    }

    /**
     * Writes a CLIPModel folder: {@link #clipConfig()} and {@code weights} as {@code model.safetensors}.
     *
     * @return the folder
     */
    public static Path writeClipModel(Path folder, Map<String, NDArray> weights) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), clipConfig().toPrettyString());
        SafetensorsWriter.save(folder.resolve("model.safetensors"), weights, Map.of("format", "pt"));
        return folder;
    }
}
