package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.WeightChecks;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Set;
import java.util.function.Predicate;

/**
 * A frozen transformers {@code CLIPModel} loaded from its folder: the text tower
 * ({@link ClipTextModel}, {@code text_model.*} and {@code text_projection.weight}), the vision tower
 * ({@link ClipVisionModel}, {@code vision_model.*} and {@code visual_projection.weight}) and the
 * learned {@code logit_scale}. The folder holds {@code config.json} (with {@code text_config},
 * {@code vision_config} and the top-level {@code projection_dim}, which sets both projections'
 * width as in transformers) and the weights as {@code model.safetensors} or a sharded
 * {@code model.safetensors.index.json}.
 *
 * <p>Closing it frees both towers.
 */
public final class ClipModel implements AutoCloseable {
    /** transformers' {@code CLIPConfig} default of the shared embedding width. */
    private static final int DEFAULT_PROJECTION_DIM = 512;
    private static final String LOGIT_SCALE = "logit_scale";

    private final ClipTextModel text;
    private final ClipVisionModel vision;
    private final double logitScale;

    private ClipModel(ClipTextModel text, ClipVisionModel vision, double logitScale) {
        this.text = text;
        this.vision = vision;
        this.logitScale = logitScale;
    }

    /**
     * Loads both towers and {@code logit_scale}. Every tensor of the checkpoint must belong to one
     * of them (older checkpoints' {@code position_ids} buffers are accepted).
     *
     * @param folder the model folder
     * @param parent the manager the towers' managers are created under (decides the device)
     * @param dtype FLOAT32, or FLOAT16 for half-precision weights and compute
     * @return the model
     * @throws IOException when the config or a tensor cannot be read
     * @throws IllegalArgumentException naming a bad config field, or the missing, unexpected or
     *     wrongly shaped tensors
     */
    public static ClipModel load(Path folder, NDManager parent, DataType dtype) throws IOException {
        Path file = folder.resolve("config.json");
        JsonNode config = ConfigJson.tree(file, "CLIP");
        if (!config.path("text_config").isObject() || !config.path("vision_config").isObject()) {
            throw new IllegalArgumentException("CLIP config " + file
                    + ": a CLIPModel config needs text_config and vision_config objects");
        }
        ClipTextConfig textConfig = ConfigJson.parse(file, "CLIP", config,
                n -> ClipTextConfig.fromJson(withProjection(n, "text_config")));
        ClipVisionConfig visionConfig = visionConfig(file, config);
        try (WeightSource weights = WeightSources.open(folder)) {
            WeightSubset textWeights = new WeightSubset(weights, tower("text_model.", "text_projection.weight"));
            WeightSubset visionWeights = new WeightSubset(weights, tower("vision_model.", "visual_projection.weight"));
            Set<String> rest = WeightSubset.outside(weights, textWeights.names());
            rest.removeAll(visionWeights.names());
            WeightChecks.checkNames("CLIP model", Set.of(LOGIT_SCALE), rest, Set.of());
            WeightChecks.checkShape(LOGIT_SCALE, weights.info(LOGIT_SCALE).shape(), new Shape());
            double scale;
            try (NDManager scratch = parent.newSubManager()) {
                NDArray s = weights.read(LOGIT_SCALE, scratch, DataType.FLOAT32);
                scale = s.getFloat();
            }
            ClipTextModel text = ClipTextModel.load(textConfig, textWeights, parent, dtype);
            try {
                return new ClipModel(text, ClipVisionModel.load(visionConfig, visionWeights, parent, dtype), scale);
            } catch (IOException | RuntimeException e) {
                text.close();
                throw e;
            }
        }
    }

    /**
     * Loads only the vision tower, from a {@code CLIPModel} folder (the text tower and
     * {@code logit_scale} are left on disk) or a {@code CLIPVisionModelWithProjection} folder.
     *
     * @param folder the model folder ({@code config.json} and the weights as for {@link #load})
     * @param parent the manager the tower's manager is created under
     * @param dtype FLOAT32 or FLOAT16
     * @return the vision tower
     * @throws IOException when the config or a tensor cannot be read
     * @throws IllegalArgumentException as {@link ClipVisionModel#load}
     */
    public static ClipVisionModel loadVision(Path folder, NDManager parent, DataType dtype) throws IOException {
        Path file = folder.resolve("config.json");
        ClipVisionConfig config = visionConfig(file, ConfigJson.tree(file, "CLIP"));
        try (WeightSource weights = WeightSources.open(folder)) {
            return ClipVisionModel.load(config,
                    new WeightSubset(weights, tower("vision_model.", "visual_projection.weight")), parent, dtype);
        }
    }

    /** A CLIPModel's vision_config with the top-level projection_dim, or a vision model's own config. */
    private static ClipVisionConfig visionConfig(Path file, JsonNode config) {
        if (!config.path("vision_config").isObject()) {
            return ConfigJson.parse(file, "CLIP vision", config, ClipVisionConfig::fromJson);
        }
        return ConfigJson.parse(file, "CLIP", config,
                n -> ClipVisionConfig.fromJson(withProjection(n, "vision_config")));
    }

    /** The sub-config with the CLIPModel's projection_dim, which is what sizes its projections. */
    private static JsonNode withProjection(JsonNode config, String part) {
        ObjectNode sub = config.get(part).deepCopy();
        sub.put("projection_dim", ConfigJson.intField(config, "projection_dim", DEFAULT_PROJECTION_DIM));
        return sub;
    }

    private static Predicate<String> tower(String prefix, String projection) {
        return name -> name.startsWith(prefix) || name.equals(projection);
    }

    /** @return the text tower */
    public ClipTextModel text() {
        return text;
    }

    /** @return the vision tower */
    public ClipVisionModel vision() {
        return vision;
    }

    /** @return the stored {@code logit_scale} (the logarithm: similarities are multiplied by its exp) */
    public double logitScale() {
        return logitScale;
    }

    /** Frees both towers. */
    @Override
    public void close() {
        try {
            text.close();
        } finally {
            vision.close();
        }
    }
}
