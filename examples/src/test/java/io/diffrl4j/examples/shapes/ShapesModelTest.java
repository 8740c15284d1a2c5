package io.diffrl4j.examples.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.Prompt;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The shipped pretrained Shapes model: it loads, samples deterministically, round-trips through
 * save, and is imperfect the way SD3.5-Medium is on GenEval (its pass rate leaves RL room).
 */
class ShapesModelTest {
    @Test
    void theBasePassRateLiesInTheBandThatLeavesRoomForRl() throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.pretrained(root)) {
            // all 33 evaluation prompts x 4 images, the default evaluation sampler, fixed noise
            ShapesEvaluation.Result r = ShapesEvaluation.run(model, PromptGrammar.evaluationPrompts(), 4, 2024);
            assertEquals(132, r.results().size());
            assertTrue(r.strictRate() >= 0.3 && r.strictRate() <= 0.7, "strict pass rate " + r.strictRate());
            assertTrue(r.genevalOverall() >= 0.3 && r.genevalOverall() <= 0.7, "GenEval overall " + r.genevalOverall());
            // measured on the shipped weights
            assertEquals(48.0 / 132, r.strictRate(), 1e-9);
            assertEquals(0.5439814814814815, r.genevalOverall(), 1e-9);
        }
    }

    @Test
    void theShippedModelLoadsAndSamplesDeterministically(@TempDir Path dir) throws Exception {
        List<Prompt> prompts = PromptGrammar.evaluationPrompts().subList(0, 4);
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.pretrained(root)) {
            assertEquals(ShapesModel.config(), model.transformer().config());
            ShapesEvaluation.Result a = ShapesEvaluation.run(model, prompts, 2, 11);
            ShapesEvaluation.Result b = ShapesEvaluation.run(model, prompts, 2, 11);
            assertArrayEquals(a.images().image(5), b.images().image(5), 0f);
            assertEquals(8, a.results().size());
            // Reference values of the shipped weights (measured): 4 of 8 images pass strictly.
            assertEquals(0.5, a.strictRate(), 0);
            assertEquals(0.6875, a.meanScore(), 1e-9);
            model.save(dir);
            try (ShapesModel reloaded = ShapesModel.load(dir, root)) {
                // fp16 storage: the shipped files are fp16 already, so a save/load round trip is exact.
                ShapesEvaluation.Result c = ShapesEvaluation.run(reloaded, prompts, 2, 11);
                assertArrayEquals(a.images().image(3), c.images().image(3), 0f);
            }
        }
    }
}
