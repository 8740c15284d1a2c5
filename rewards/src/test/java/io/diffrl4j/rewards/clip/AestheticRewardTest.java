package io.diffrl4j.rewards.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The LAION aesthetic head on hand-made weights, over unit CLIP image embeddings. */
class AestheticRewardTest {
    @Test
    void theHeadIsFiveLinearLayersWithoutActivations(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            ClipFolders.aesthetic(dir, m, 1, 6);
            try (WeightSource w = WeightSources.open(dir.resolve(AestheticReward.MLP_FILE))) {
                AestheticMlp mlp = AestheticMlp.load(w, m);
                assertEquals(6, mlp.inputWidth());
                // 0.5 + 1 x (0.6 + 0.25) + 2 x 0.8 = 2.95; a negative feature passes unclipped (no ReLU):
                // 0.5 + 1 x (0 + 0.25) + 6 x -1 = -5.25.
                NDArray x = m.create(new float[][] {{0.6f, 0.8f, 0, 0, 0, 0}, {0, 0, 0, 0, 0, -1}});
                assertArrayEquals(new float[] {2.95f, -5.25f}, mlp.forward(x).toFloatArray(), 1e-6f);
            }
        }
    }

    @Test
    void scoresAreTheHeadOnUnitClipEmbeddings(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.aesthetic(dir, m, 2, 6);
            ImageBatch images = ClipFolders.images(5, 9);
            try (AestheticReward reward = AestheticReward.open(folder);
                    ClipImageEmbedder embedder = ClipImageEmbedder.open(folder.resolve(AestheticReward.CLIP_FOLDER))) {
                assertEquals("aesthetic", reward.name());
                float[][] e = embedder.embed(images);
                double[] expected = new double[5];
                for (int i = 0; i < 5; i++) {
                    expected[i] = 0.75;
                    for (int k = 0; k < 6; k++) {
                        expected[i] += (k + 1) * e[i][k];
                    }
                }
                assertArrayEquals(expected, reward.score(images, ClipScoreRewardTest.prompts(5)), 1e-5);
            }
        }
    }

    @Test
    void aHeadOfAnotherWidthOrWithoutALayerIsRefused(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.aesthetic(dir, m, 1, 5);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> AestheticReward.open(folder));
            assertEquals(folder.resolve(AestheticReward.MLP_FILE) + " takes embeddings of 5, the CLIP model's "
                    + "projection_dim is 6", e.getMessage());
            Path file = folder.resolve(AestheticReward.MLP_FILE);
            Map<String, NDArray> head;
            try (WeightSource w = WeightSources.open(file)) {
                head = w.readAll(m, DataType.FLOAT32);
            }
            head.remove("layers.7.bias");
            SafetensorsWriter.save(file, head, Map.of());
            e = assertThrows(IllegalArgumentException.class, () -> AestheticReward.open(folder));
            assertEquals("checkpoint does not match the aesthetic MLP config: 1 missing [layers.7.bias], 0 unexpected []",
                    e.getMessage());
        }
    }
}
