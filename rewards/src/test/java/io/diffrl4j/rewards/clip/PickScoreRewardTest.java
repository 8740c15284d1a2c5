package io.diffrl4j.rewards.clip;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.models.text.TinyClip;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PickScore is exp(logit_scale) * cosine / 26, Flow-GRPO's scaling. */
class PickScoreRewardTest {
    @Test
    void scoresAreTheScaledCosine(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path folder = ClipFolders.clip(dir.resolve("clip"), m, 7);
            ImageBatch images = ClipFolders.images(6, 3);
            double[] cosine = ClipFolders.cosines(folder, images, ClipScoreRewardTest.TEXTS.subList(0, 6));
            try (PickScoreReward reward = PickScoreReward.open(folder)) {
                assertEquals("pickscore", reward.name());
                // logit_scale 2.5: exp(2.5) / 26 = 12.182493960703473 / 26.
                assertEquals(0.46855746002705665, reward.factor(), 1e-15);
                double[] expected = new double[6];
                for (int i = 0; i < 6; i++) {
                    expected[i] = 0.46855746002705665 * cosine[i];
                }
                assertArrayEquals(expected, reward.score(images, ClipScoreRewardTest.prompts(6)), 1e-6);
            }
        }
    }

    @Test
    void withALogitScaleOfLn26ItIsClipScore(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.clipWeights(m, 8);
            weights.put("logit_scale", m.create((float) Math.log(26)));
            Path folder = ClipFolders.clip(dir.resolve("clip"), weights);
            ImageBatch images = ClipFolders.images(3, 4);
            try (PickScoreReward pick = PickScoreReward.open(folder); ClipScoreReward clip = ClipScoreReward.open(folder)) {
                assertEquals(1.0, pick.factor(), 1e-6);
                assertArrayEquals(clip.score(images, ClipScoreRewardTest.prompts(3)),
                        pick.score(images, ClipScoreRewardTest.prompts(3)), 1e-6);
            }
        }
    }
}
