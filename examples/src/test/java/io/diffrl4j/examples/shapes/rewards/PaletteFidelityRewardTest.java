package io.diffrl4j.examples.shapes.rewards;

import static io.diffrl4j.examples.shapes.rewards.RewardTestData.S;
import static io.diffrl4j.examples.shapes.rewards.RewardTestData.mean;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.examples.shapes.Palette;
import io.diffrl4j.examples.shapes.PromptGrammar;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

class PaletteFidelityRewardTest {
    private static final PaletteFidelityReward REWARD = new PaletteFidelityReward();

    @Test
    void groundTruthRendersScoreOne() {
        // measured: exactly 1 (every pixel is a reference colour)
        RewardTestData.assertCleanScoresOne(REWARD, "palette_fidelity", 1e-6);
    }

    @Test
    void damageLowersTheScoreInOrder() {
        double[] clean = REWARD.score(RewardTestData.clean());
        double[] blur = REWARD.score(RewardTestData.blurred(1.2));
        double[] light = REWARD.score(RewardTestData.noisy(0.05));
        double[] heavy = REWARD.score(RewardTestData.noisy(0.2));
        double[] noise = REWARD.score(RewardTestData.uniformNoise());
        for (int i = 0; i < clean.length; i++) {
            assertTrue(blur[i] < clean[i], "blur did not lower image " + i);
            assertTrue(heavy[i] < light[i] && light[i] < clean[i], "noise did not lower image " + i);
        }
        // measured means: blur 1.2 -> 0.894, noise 0.05 -> 0.773, noise 0.2 -> 0.312, uniform noise -> 0.120
        assertEquals(0.894, mean(blur), 0.03);
        assertEquals(0.773, mean(light), 0.02);
        assertEquals(0.312, mean(heavy), 0.03);
        assertTrue(mean(noise) < 0.2, "uniform noise scored " + mean(noise));
    }

    @Test
    void exactPixelScoresAreTheDistanceRule() {
        // a grey image one tenth of the way from the background to red: distance 0.1 |red - bg|
        float[] image = new float[3 * S * S];
        Palette red = Palette.RED;
        for (int c = 0; c < 3; c++) {
            for (int p = 0; p < S * S; p++) {
                image[c * S * S + p] = Palette.BACKGROUND + 0.1f * (red.channel(c) - Palette.BACKGROUND);
            }
        }
        double d = 0.1 * Math.sqrt(Math.pow(0.75, 2) + Math.pow(-0.03, 2) + Math.pow(-0.03, 2));
        assertEquals(1 - d / PaletteFidelityReward.SCALE, REWARD.score(image, S, S), 1e-5);
    }

    @Test
    void scoresStayInRangeForAnyValues() {
        float[] image = new float[3 * S * S];
        for (int i = 0; i < image.length; i++) {
            image[i] = i % 3 == 0 ? -5f : i % 3 == 1 ? 7f : Float.NaN;
        }
        double s = REWARD.score(image, S, S);
        assertEquals(0.0, s);
    }

    @Test
    void ignoresThePromptAndChecksCounts() {
        ImageBatch images = RewardTestData.clean().slice(0, 10);
        List<Prompt> other = new ArrayList<>(Collections.nCopies(10, PromptGrammar.allPrompts().get(0)));
        assertArrayEquals(REWARD.score(images, RewardTestData.prompts().subList(0, 10)), REWARD.score(images, other));
        assertThrows(IllegalArgumentException.class, () -> REWARD.score(images, other.subList(0, 9)));
    }

    @Test
    void threadSafe() throws Exception {
        RewardTestData.assertThreadSafe(REWARD, RewardTestData.blurred(0.8));
    }
}
