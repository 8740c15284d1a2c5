package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The summary's held-out change: a paired interval over the prompts recorded in eval.csv. */
class Sd35ReportTest {
    @TempDir
    Path cwd;

    private Sd35Options options() throws Exception {
        return Sd35Options.parse(new String[] {"--model", "sd", "--prompts", "p.txt", "--method", "crd", "--reward", "jpeg"},
                cwd);
    }

    private static Map<String, double[]> eval(double[] before, double[] after) {
        Map<String, double[]> e = new LinkedHashMap<>();
        e.put("epoch", new double[] {0, 5});
        double b = 0;
        double a = 0;
        for (int p = 0; p < before.length; p++) {
            e.put(Sd35Report.PROMPT_COLUMN + (p + 1), new double[] {before[p], after[p]});
            b += before[p] / before.length;
            a += after[p] / after.length;
        }
        e.put("reward_mean", new double[] {b, a});
        return e;
    }

    @Test
    void aChangeEveryPromptSharesHasAZeroWidthIntervalAndRises() throws Exception {
        // every prompt gains exactly 0.2, so every resample's mean difference is 0.2
        String line = Sd35Report.heldOutChange(options(), eval(new double[] {0.1, 0.2, 0.3}, new double[] {0.3, 0.4, 0.5}),
                "3 held-out prompts x 2 images");
        assertTrue(line.contains("0.200 at epoch 0 (the starting policy) -> 0.400 at epoch 5, change +0.20"), line);
        assertTrue(line.contains("(95% interval +0.20 to +0.20, a paired bootstrap over the 3 prompts): rose."), line);
    }

    @Test
    void opposingChangesAreWithinNoise() throws Exception {
        // differences +0.1, -0.1, +0.1, -0.1: mean 0, and resamples fall on both sides
        String line = Sd35Report.heldOutChange(options(), eval(new double[] {0.5, 0.5, 0.5, 0.5},
                new double[] {0.6, 0.4, 0.6, 0.4}), "4 held-out prompts x 2 images");
        assertTrue(line.endsWith("within the noise of 4 prompts.\n"), line);
    }

    @Test
    void oneEvaluationHasNoInterval() throws Exception {
        Map<String, double[]> e = new LinkedHashMap<>();
        e.put("epoch", new double[] {0});
        e.put("reward_mean", new double[] {0.5});
        e.put(Sd35Report.PROMPT_COLUMN + 1, new double[] {0.4});
        e.put(Sd35Report.PROMPT_COLUMN + 2, new double[] {0.6});
        String line = Sd35Report.heldOutChange(options(), e, "2 held-out prompts x 2 images");
        assertTrue(line.endsWith("(no interval: fewer than two held-out prompts or a single evaluation).\n"), line);
    }
}
