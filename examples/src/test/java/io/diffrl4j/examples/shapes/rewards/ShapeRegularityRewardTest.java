package io.diffrl4j.examples.shapes.rewards;

import static io.diffrl4j.examples.shapes.rewards.RewardTestData.S;
import static io.diffrl4j.examples.shapes.rewards.RewardTestData.mean;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.examples.shapes.Palette;
import io.diffrl4j.examples.shapes.Scene;
import io.diffrl4j.examples.shapes.SceneObject;
import io.diffrl4j.examples.shapes.ShapeKind;
import io.diffrl4j.examples.shapes.ShapesRenderer;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

class ShapeRegularityRewardTest {
    private static final ShapeRegularityReward REWARD = new ShapeRegularityReward();

    @Test
    void groundTruthRendersScoreOne() {
        // measured: exactly 1 (every object is its own template)
        RewardTestData.assertCleanScoresOne(REWARD, "shape_regularity", 1e-9);
    }

    @Test
    void everyKindAndSizeMatchesItsTemplate() {
        for (ShapeKind kind : ShapeKind.values()) {
            for (int size = 7; size <= 12; size++) {
                Scene scene = new Scene(List.of(new SceneObject(kind, Palette.BLUE, 5 + size / 2.0, 9 + size / 2.0, size)));
                assertEquals(1.0, REWARD.score(ShapesRenderer.render(scene), S, S), 1e-9, kind + " " + size);
            }
        }
    }

    @Test
    void damageLowersTheScore() {
        double[] blur = REWARD.score(RewardTestData.blurred(1.2));
        double[] heavy = REWARD.score(RewardTestData.noisy(0.2));
        double[] noise = REWARD.score(RewardTestData.uniformNoise());
        for (int i = 0; i < blur.length; i++) {
            assertTrue(blur[i] <= 1 && heavy[i] < 1, "damage did not lower image " + i);
        }
        // measured means: blur 1.2 -> 0.945 (rounded corners), noise 0.2 -> 0.444 (holes, specks),
        // uniform noise -> 0.124; every mean is below the clean 1.0
        assertEquals(0.945, mean(blur), 0.03);
        assertTrue(mean(blur) < 1);
        assertEquals(0.444, mean(heavy), 0.05);
        assertTrue(mean(noise) < 0.25, "uniform noise scored " + mean(noise));
        assertTrue(mean(noise) < mean(heavy) && mean(heavy) < mean(blur));
    }

    @Test
    void aSmearedRegionScoresLow() {
        // an irregular blob: a square with a long streak attached, neither a circle, square nor triangle
        float[] image = ShapesRenderer.render(new Scene(List.of(new SceneObject(ShapeKind.SQUARE, Palette.RED, 10, 10, 8))));
        for (int x = 14; x < 30; x++) {
            for (int y = 12; y < 14; y++) {
                for (int c = 0; c < 3; c++) {
                    image[(c * S + y) * S + x] = Palette.RED.channel(c);
                }
            }
        }
        double s = REWARD.score(image, S, S);
        // measured: 0.238 (the best template covers the square or the streak, not both)
        assertTrue(s < 0.4, "smeared region scored " + s);
    }

    @Test
    void emptyImageScoresZero() {
        float[] image = new float[3 * S * S];
        Arrays.fill(image, Palette.BACKGROUND);
        assertEquals(0.0, REWARD.score(image, S, S));
    }

    @Test
    void checksInputs() {
        ImageBatch grey = new ImageBatch(new float[S * S], 1, 1, S, S);
        assertThrows(IllegalArgumentException.class, () -> REWARD.score(grey));
        assertThrows(IllegalArgumentException.class, () -> REWARD.score(RewardTestData.clean(), List.of()));
    }

    @Test
    void threadSafe() throws Exception {
        RewardTestData.assertThreadSafe(REWARD, RewardTestData.noisy(0.15));
    }
}
