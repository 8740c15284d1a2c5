package io.diffrl4j.rewards.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.models.text.TinyClip;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** CLIPScore is the cosine of the projected image and prompt embeddings, on a tiny random CLIPModel. */
class ClipScoreRewardTest {
    static final List<String> TEXTS = List.of("a cat", "dog", "cat dog", "a dog a cat", "cot", "god", "tag", "a");

    static List<Prompt> prompts(int n) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(Prompt.of(TEXTS.get(i % TEXTS.size())));
        }
        return out;
    }

    @Test
    void scoresAreTheCosineOfTheTowersEmbeddings(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.clip(dir.resolve("clip"), m, 3);
            ImageBatch images = ClipFolders.images(8, 1);
            double[] expected = ClipFolders.cosines(folder, images, TEXTS);
            try (ClipScoreReward reward = ClipScoreReward.open(folder)) {
                assertEquals("clipscore", reward.name());
                assertEquals(1.0, reward.factor(), 0);
                double[] scores = reward.score(images, prompts(8));
                assertArrayEquals(expected, scores, 1e-6);
                double spread = 0;
                for (double s : scores) {
                    assertTrue(s >= -1 && s <= 1, "a cosine: " + s);
                    spread = Math.max(spread, Math.abs(s - scores[0]));
                }
                assertTrue(spread > 0.05, "the images and prompts are told apart: " + spread);
                assertArrayEquals(scores, reward.score(images, prompts(8)), "deterministic");
                assertEquals("8 images but 7 prompts", assertThrows(IllegalArgumentException.class,
                        () -> reward.score(images, prompts(7))).getMessage());
                assertEquals(0, reward.score(ClipFolders.images(0, 1), List.of()).length);
            }
        }
    }

    @Test
    void scalingEitherProjectionLeavesTheScoresUnchanged(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.clipWeights(m, 5);
            Path plain = ClipFolders.clip(dir.resolve("plain"), weights);
            weights.put("visual_projection.weight", weights.get("visual_projection.weight").mul(3.7f));
            weights.put("text_projection.weight", weights.get("text_projection.weight").mul(0.2f));
            Path scaled = ClipFolders.clip(dir.resolve("scaled"), weights);
            ImageBatch images = ClipFolders.images(4, 2);
            try (ClipScoreReward a = ClipScoreReward.open(plain); ClipScoreReward b = ClipScoreReward.open(scaled)) {
                assertArrayEquals(a.score(images, prompts(4)), b.score(images, prompts(4)), 1e-6);
            }
        }
    }

    @Test
    void largeBatchesAreScoredInChunksWithTheSameResult(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.clip(dir.resolve("clip"), m, 4);
            int n = ImageTower.CHUNK + 3;
            ImageBatch images = ClipFolders.images(n, 6);
            try (ClipScoreReward reward = ClipScoreReward.open(folder)) {
                double[] all = reward.score(images, prompts(n));
                double[] head = reward.score(images.slice(0, 5), prompts(n).subList(0, 5));
                double[] tail = reward.score(images.slice(n - 2, n), prompts(n).subList(n - 2, n));
                assertArrayEquals(head, java.util.Arrays.copyOfRange(all, 0, 5), 1e-6);
                assertArrayEquals(tail, java.util.Arrays.copyOfRange(all, n - 2, n), 1e-6);
            }
        }
    }
}
