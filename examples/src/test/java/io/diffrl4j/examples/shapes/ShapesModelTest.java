package io.diffrl4j.examples.shapes;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.Prompt;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped pretrained Shapes model: it loads, samples deterministically, and round-trips through save. */
class ShapesModelTest {
    @Test
    void theShippedModelLoadsAndSamplesDeterministically(@TempDir Path dir) throws Exception {
        List<Prompt> prompts = PromptGrammar.evaluationPrompts().subList(0, 4);
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.pretrained(root)) {
            assertEquals(ShapesModel.config(), model.transformer().config());
            ShapesEvaluation.Result a = ShapesEvaluation.run(model, prompts, 2, 11);
            ShapesEvaluation.Result b = ShapesEvaluation.run(model, prompts, 2, 11);
            assertArrayEquals(a.images().image(5), b.images().image(5), 0f);
            assertEquals(8, a.results().size());
            // Reference values of the shipped weights (measured): 3 of 8 images pass strictly.
            assertEquals(0.375, a.strictRate(), 0);
            assertEquals(0.375, a.meanScore(), 1e-9);
            model.save(dir);
            try (ShapesModel reloaded = ShapesModel.load(dir, root)) {
                // fp16 storage: the shipped files are fp16 already, so a save/load round trip is exact.
                ShapesEvaluation.Result c = ShapesEvaluation.run(reloaded, prompts, 2, 11);
                assertArrayEquals(a.images().image(3), c.images().image(3), 0f);
            }
        }
    }
}
