package io.diffrl4j.rewards.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.models.text.ClipModel;
import io.diffrl4j.models.text.ClipVisionModel;
import io.diffrl4j.models.text.TinyClip;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CLIP image embeddings as features: unit vectors along the projected image embeddings. */
class ClipImageEmbedderTest {
    @Test
    void featuresAreTheNormalisedImageEmbeddings(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.clip(dir.resolve("clip"), m, 12);
            ImageBatch images = ClipFolders.images(4, 5);
            float[][] raw;
            try (ClipVisionModel vision = ClipModel.loadVision(folder, m, DataType.FLOAT32)) {
                raw = ImageTower.rows(vision.encode(ClipImageProcessor.fromFolder(folder).pixelValues(images, m), m)
                        .imageEmbeds());
            }
            try (ClipImageEmbedder embedder = ClipImageEmbedder.open(folder)) {
                assertEquals(6, embedder.dimension());
                float[][] e = embedder.embed(images);
                assertEquals(4, e.length);
                for (int i = 0; i < 4; i++) {
                    assertEquals(1.0, ClipFolders.dot(e[i], e[i]), 1e-6, "unit length");
                    double norm = Math.sqrt(ClipFolders.dot(raw[i], raw[i]));
                    assertTrue(Math.abs(norm - 1) > 0.1, "the raw embedding is not already unit: " + norm);
                    for (int k = 0; k < 6; k++) {
                        assertEquals(raw[i][k] / norm, e[i][k], 1e-6);
                    }
                    assertArrayEquals(e[i], embedder.embed(images.slice(i, i + 1))[0], 1e-6f, "batch independent");
                }
            }
        }
    }

    @Test
    void aVisionModelWithProjectionFolderWorksToo(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path clip = ClipFolders.clip(dir.resolve("clip"), m, 13);
            // CLIPVisionModelWithProjection: the vision config at the top, only the vision tensors.
            Path vision = Files.createDirectories(dir.resolve("vision"));
            ObjectNode config = (ObjectNode) TinyClip.clipConfig().get("vision_config");
            config.put("projection_dim", 6);
            Files.writeString(vision.resolve("config.json"), config.toString());
            Map<String, NDArray> weights = TinyClip.clipWeights(m, 13);
            weights.keySet().removeIf(k -> !k.startsWith("vision_model.") && !k.equals("visual_projection.weight"));
            SafetensorsWriter.save(vision.resolve("model.safetensors"), weights, Map.of());
            Files.copy(clip.resolve("preprocessor_config.json"), vision.resolve("preprocessor_config.json"));
            ImageBatch images = ClipFolders.images(2, 8);
            try (ClipImageEmbedder a = ClipImageEmbedder.open(clip); ClipImageEmbedder b = ClipImageEmbedder.open(vision)) {
                float[][] ea = a.embed(images);
                float[][] eb = b.embed(images);
                for (int i = 0; i < 2; i++) {
                    assertArrayEquals(ea[i], eb[i], 0f);
                }
            }
        }
    }
}
