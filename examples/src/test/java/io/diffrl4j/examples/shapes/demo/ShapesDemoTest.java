package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job's code path, end to end with a tiny budget, for every method. */
class ShapesDemoTest {
    private static final List<String> FILES = List.of("config.json", "metrics.csv", "metrics.jsonl", "eval.csv",
            "curves-reward.png", "curves-kl.png", "curves-diversity.png", "curves-frechet.png", "before.png", "after.png",
            "summary.md");

    @Test
    void everyMethodWritesTheWholeReport(@TempDir Path dir) throws Exception {
        for (String method : ShapesMethods.NAMES) {
            Path out = dir.resolve(method);
            ByteArrayOutputStream console = new ByteArrayOutputStream();
            Path summary = ShapesDemo.run(new ShapesDemo.Options(method, ShapesTask.GENEVAL, 1, 3, out, 1, 2, 2, 2, 2),
                    new PrintStream(console, true, StandardCharsets.UTF_8));
            for (String f : FILES) {
                assertTrue(Files.size(out.resolve(f)) > 0, method + ": " + f);
            }
            assertEquals(out.resolve("summary.md"), summary);
            assertTrue(Files.readString(summary).startsWith("# Shapes world: " + method + " on the geneval task"), method);
            // One training row, and held-out evaluations before and after the epoch.
            assertEquals(2, Files.readAllLines(out.resolve("metrics.csv")).size(), method);
            assertEquals(3, Files.readAllLines(out.resolve("eval.csv")).size(), method);
            assertTrue(console.toString(StandardCharsets.UTF_8).startsWith("epoch 1/1 ["), method);
        }
    }

    @Test
    void theOverOptimisationTaskTrainsOnTheRewardModelAndKeepsTheCheckerAsGold(@TempDir Path dir) throws Exception {
        Path out = dir.resolve("rm");
        ShapesDemo.run(new ShapesDemo.Options("flow-grpo", ShapesTask.REWARD_MODEL, 1, 3, out, 1, 2, 2, 2, 2),
                new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8));
        String header = Files.readAllLines(out.resolve("metrics.csv")).get(0);
        assertTrue(header.contains("reward/reward_model/mean"), header);
        assertTrue(!header.contains("reward/geneval/mean"), header);
        List<String> eval = Files.readAllLines(out.resolve("eval.csv"));
        assertEquals("epoch,gold_strict_pass_rate,gold_mean_score,proxy_mean,vendi_within_prompt,frechet_to_real",
                eval.get(0));
        // the reward model's sigmoid output is strictly inside (0, 1)
        double proxy = Double.parseDouble(eval.get(1).split(",")[3]);
        assertTrue(proxy > 0 && proxy < 1, eval.get(1));
        assertTrue(Files.readString(out.resolve("config.json")).contains("\"task\" : \"reward-model\""));
    }

    @Test
    void badArgumentsNameTheProblem() {
        assertEquals("unknown method 'ppo'; choose one of [gardo, flow-grpo, flow-grpo-kl, diffusion-nft, crd]",
                assertThrows(IllegalArgumentException.class, () -> ShapesDemo.parse(new String[] {"ppo"})).getMessage());
        assertEquals("not a number for --epochs: ten",
                assertThrows(IllegalArgumentException.class, () -> ShapesDemo.parse(new String[] {"--epochs", "ten"}))
                        .getMessage());
        assertEquals("missing value for --seed",
                assertThrows(IllegalArgumentException.class, () -> ShapesDemo.parse(new String[] {"--seed"})).getMessage());
        ShapesDemo.Options o = ShapesDemo.parse(new String[] {"crd", "--epochs", "3", "--out", "x"});
        assertEquals("crd", o.method());
        assertEquals(3, o.epochs());
        assertEquals(Path.of("x"), o.out());
        assertEquals(ShapesTask.GENEVAL, o.task());
        ShapesDemo.Options rm = ShapesDemo.parse(new String[] {"--task", "reward-model"});
        assertEquals(ShapesTask.REWARD_MODEL, rm.task());
        assertEquals(Path.of("runs", "shapes-reward-model-gardo"), rm.out());
        assertEquals("unknown task 'aesthetics'; choose one of [geneval, reward-model]",
                assertThrows(IllegalArgumentException.class, () -> ShapesDemo.parse(new String[] {"--task", "aesthetics"}))
                        .getMessage());
    }
}
