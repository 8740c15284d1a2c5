package io.diffrl4j.examples.shapes;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ShapesEvaluationTest {
    @Test
    void genevalOverallAveragesTheTasksNotTheImages() {
        Prompt single = PromptGrammar.promptsOf("single_object").get(0);
        Prompt attr = PromptGrammar.promptsOf("color_attr").get(0);
        List<Prompt> prompts = new ArrayList<>();
        List<GenEvalResult> results = new ArrayList<>();
        // 2 single-object images, both pass; 6 colour-attribution images, 1 passes
        for (int i = 0; i < 8; i++) {
            boolean isSingle = i < 2;
            prompts.add(isSingle ? single : attr);
            boolean pass = isSingle || i == 2;
            results.add(new GenEvalResult(pass ? 1 : 0.5, pass, pass));
        }
        ShapesEvaluation.Result r = new ShapesEvaluation.Result(new ImageBatch(new float[8 * 3], 8, 3, 1, 1), prompts, results);
        assertEquals(3 / 8.0, r.strictRate(), 0);
        assertEquals(Map.of("single_object", 1.0, "color_attr", 1 / 6.0), r.strictRateByTag());
        assertEquals(List.of("single_object", "color_attr"), List.copyOf(r.strictRateByTag().keySet()));
        assertEquals((1 + 1 / 6.0) / 2, r.genevalOverall(), 1e-15);
    }
}
