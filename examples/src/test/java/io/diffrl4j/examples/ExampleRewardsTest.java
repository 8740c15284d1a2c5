package io.diffrl4j.examples;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.examples.shapes.ShapesDataset;
import io.diffrl4j.examples.shapes.ShapesExample;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import io.diffrl4j.rewards.mix.WeightedRewardSum;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ExampleRewardsTest {
    @Test
    void shapesAndTheStandardNamesAreKnown() throws Exception {
        assertEquals(List.of("ocr", "geneval", "vlm", "jpeg", "clipscore", "pickscore", "aesthetic", "shapes"),
                ExampleRewards.registry().names());
        assertInstanceOf(ShapesChecker.class, ExampleRewards.registry().create("shapes"));
    }

    @Test
    void aMixOfTheCheckerAndJpegScoresTheirWeightedSum() throws Exception {
        RewardFunction mix = ExampleRewards.registry().create("shapes,jpeg*0.1");
        WeightedRewardSum sum = assertInstanceOf(WeightedRewardSum.class, mix);
        assertEquals(Map.of("geneval", 1.0, "jpeg", 0.1), sum.weights());
        List<ShapesExample> examples = ShapesDataset.referenceSample(4, 3);
        var images = ShapesDataset.render(examples);
        var prompts = ShapesDataset.prompts(examples);
        double[] checker = new ShapesChecker().score(images, prompts);
        double[] jpeg = new JpegCompressibilityReward().score(images, prompts);
        double[] mixed = mix.score(images, prompts);
        for (int i = 0; i < 3; i++) {
            assertEquals(1.0, checker[i], 0); // ground truth passes the checker
            assertEquals(checker[i] + 0.1 * jpeg[i], mixed[i], 1e-12);
        }
    }

    @Test
    void theCheckerAndAGenEvalServerCannotShareOneMix() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ExampleRewards.registry().create("shapes,geneval=http://127.0.0.1:1"));
        assertEquals("two parts are named 'geneval'", e.getMessage());
    }
}
