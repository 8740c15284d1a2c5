package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.examples.cli.CommandResult;
import io.diffrl4j.examples.report.MetricsCsv;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/demo as a command: help, bad input, paths, the output-folder rule, and a resumed run. */
class ShapesDemoCommandTest {
    @TempDir
    Path cwd;

    private CommandResult demo(String... args) {
        return CommandResult.run(ShapesDemo::run, cwd, args);
    }

    @Test
    void helpListsEveryOptionAndCreatesNothing() throws Exception {
        CommandResult help = demo("gardo", "--help");
        help.assertHelp(List.of("usage: bin/demo [METHOD] [options]", "  METHOD ", "(default: gardo)", "  --task TASK ",
                "(default: geneval)", "  --epochs N ", "(default: 30)", "  --seed S ", "  --lr LR ", "(default: 0.002)",
                "  --out DIR ", "  --reward SPECS ", "  --resume ", "  --overwrite ", "  --verbose ", "jpeg  JPEG compressibility"));
        assertEquals("", help.err());
        assertEquals(List.of(), CommandResult.contents(cwd));
    }

    @Test
    void badInputIsNamedAsTypedInOneLine() throws Exception {
        demo("gardo", "--epochs", "-3").assertUsageError("bin/demo", "--epochs -3: must be >= 1");
        demo("ppo").assertUsageError("bin/demo",
                "METHOD ppo: unknown method; choose one of [gardo, flow-grpo, flow-grpo-kl, diffusion-nft, crd, grpo-guard, mix-grpo, dance-grpo, awm, dgpo, tempflow-grpo]");
        demo("gardo", "--task", "aesthetics").assertUsageError("bin/demo",
                "--task aesthetics: unknown task; choose one of [geneval, reward-model, compressibility]");
        demo("gardo", "--lr", "-1").assertUsageError("bin/demo", "--lr -1: must be a positive number");
        demo("gardo", "--reward", "imagereward").assertUsageError("bin/demo",
                "--reward imagereward: unknown reward 'imagereward'; choose from [ocr, geneval, vlm, jpeg, clipscore, pickscore, aesthetic, shapes]");
        demo("gardo", "--seed").assertUsageError("bin/demo", "--seed needs a value (S)");
        demo("gardo", "--prompts", "3").assertUsageError("bin/demo", "--prompts 3: must be even (two prompts per sampling batch)");
        demo("gardo", "--group-size", "1").assertUsageError("bin/demo", "--group-size 1: must be >= 2");
        demo("gardo", "--train-prompts", "4").assertUsageError("bin/demo",
                "trainPrompts must be 0 (all 96) or in [prompts per epoch 8, 96], got 4");
        assertEquals(List.of(), CommandResult.contents(cwd), "nothing is created before the arguments are good");
    }

    @Test
    void aMethodTypedAfterOptionsIsTheMethod() {
        assertEquals(List.of("gardo", "--epochs", "5"), List.of(ShapesDemo.methodFirst(new String[] {"--epochs", "5", "gardo"})));
        assertEquals(List.of("crd", "--resume", "--seed", "2"),
                List.of(ShapesDemo.methodFirst(new String[] {"--resume", "crd", "--seed", "2"})));
        assertEquals(List.of("--out", "gardo"), List.of(ShapesDemo.methodFirst(new String[] {"--out", "gardo"})), "a value stays");
        assertEquals(List.of("--methods", "gardo,crd"), List.of(ShapesDemo.methodFirst(new String[] {"--methods", "gardo,crd"})));
        assertEquals(List.of("flow-grpo", "--epochs", "2"), List.of(ShapesDemo.methodFirst(new String[] {"flow-grpo", "--epochs", "2"})));
        demo("--epochs", "0", "gardo").assertUsageError("bin/demo", "--epochs 0: must be >= 1");
    }

    @Test
    void relativePathsAreTheCallersAndDefaultsFollowMethodAndTask() {
        ShapesDemo.Options o = ShapesDemo.parse(new String[] {"crd", "--epochs", "3", "--out", "my/run"}, cwd);
        assertEquals(cwd.resolve("my/run"), o.out());
        assertEquals("crd", o.method());
        assertEquals(3, o.epochs());
        assertEquals(2e-3, o.learningRate(), 0.0);
        assertEquals(8, o.prompts());
        assertEquals(8, o.groupSize());
        assertEquals(96, o.trainingPrompts().size());
        ShapesDemo.Options few = ShapesDemo.parse(new String[] {"flow-grpo", "--train-prompts", "8"}, cwd);
        assertEquals(io.diffrl4j.examples.shapes.PromptGrammar.trainingPrompts().subList(0, 8), few.trainingPrompts());
        ShapesDemo.Options big = ShapesDemo.parse(new String[] {"flow-grpo", "--prompts", "32", "--group-size", "16"}, cwd);
        assertEquals(32, big.prompts());
        assertEquals(16, big.groupSize());
        assertEquals(cwd.resolve("runs/shapes-gardo"), ShapesDemo.parse(new String[0], cwd).out());
        assertEquals(cwd.resolve("runs/shapes-reward-model-flow-grpo"),
                ShapesDemo.parse(new String[] {"flow-grpo", "--task", "reward-model"}, cwd).out());
        Path absolute = cwd.resolveSibling("elsewhere").toAbsolutePath();
        assertEquals(absolute, ShapesDemo.parse(new String[] {"--out", absolute.toString()}, cwd).out());
    }

    @Test
    void anOutputFolderInUseIsRefused() throws Exception {
        Files.createDirectories(cwd.resolve("runs/shapes-gardo"));
        Files.writeString(cwd.resolve("runs/shapes-gardo/metrics.csv"), "epoch\n0\n");
        demo("gardo").assertUsageError("bin/demo", "--out runs/shapes-gardo (the default): the folder exists and is not empty; "
                + "give --resume to continue that run or --overwrite to replace it");
        demo("gardo", "--out", "runs/shapes-gardo", "--overwrite").assertUsageError("bin/demo", "--out runs/shapes-gardo: not "
                + "overwritten: it holds no config.json, so it does not look like a run folder; delete it yourself if it is one");
        assertEquals(List.of("runs", "runs/shapes-gardo", "runs/shapes-gardo/metrics.csv"), CommandResult.contents(cwd));
        CommandResult failed = demo("gardo", "--out", "/proc/forbidden", "--epochs", "1");
        assertEquals(List.of("bin/demo: cannot create the output folder /proc/forbidden: no such file or folder"),
                failed.errLines());
        assertEquals(1, failed.status());
    }

    /**
     * Stopped after epoch 1 (and killed during epoch 2, after it wrote its training row: a row
     * past the checkpoint), then resumed to 2 epochs: the same numbers as a run never stopped.
     */
    @Test
    void aResumedRunEndsWithTheNumbersOfARunNeverStopped() throws Exception {
        Path whole = cwd.resolve("whole");
        Path stopped = cwd.resolve("stopped");
        ShapesDemo.run(tiny(whole, 2), quiet(), false);
        ShapesDemo.run(tiny(stopped, 1), quiet(), false);
        Files.writeString(stopped.resolve("metrics.csv"), "1,99\n", java.nio.file.StandardOpenOption.APPEND);
        Files.writeString(stopped.resolve("metrics.jsonl"), "{\"epoch\":1}\n", java.nio.file.StandardOpenOption.APPEND);
        ByteArrayOutputStream console = new ByteArrayOutputStream();
        ShapesDemo.run(tiny(stopped, 2), new PrintStream(console, true, StandardCharsets.UTF_8), true);
        assertTrue(console.toString(StandardCharsets.UTF_8).startsWith("resumed " + stopped + " after epoch 1\nepoch 2/2 ["),
                console.toString(StandardCharsets.UTF_8));

        assertEquals(Files.readString(whole.resolve("eval.csv")), Files.readString(stopped.resolve("eval.csv")));
        assertEquals(4, Files.readAllLines(stopped.resolve("eval.csv")).size(), "a header, then evaluations after epochs 0, 1, 2");
        Map<String, double[]> a = MetricsCsv.read(whole.resolve("metrics.csv"));
        Map<String, double[]> b = MetricsCsv.read(stopped.resolve("metrics.csv"));
        assertEquals(a.keySet(), b.keySet());
        for (String column : a.keySet()) {
            if (!column.startsWith("time/") && !column.startsWith("memory/")) { // measured, not computed
                assertEquals(List.of(a.get(column)[0], a.get(column)[1]), List.of(b.get(column)[0], b.get(column)[1]), column);
            }
        }
        assertEquals(2, b.get("epoch").length);
        assertEquals(2, Files.readAllLines(stopped.resolve("metrics.jsonl")).size());
        assertTrue(Files.readString(stopped.resolve("config.json")).contains("\"epochs\" : 2"));

        IllegalArgumentException other = assertThrows(IllegalArgumentException.class, () -> ShapesDemo.run(
                ShapesDemo.Options.builder("gardo").optTask(ShapesTask.GENEVAL).optEpochs(3).optSeed(4).optOut(stopped)
                        .optEvalEvery(1).optBatch(2, 2).optEvaluation(2, 2).build(), quiet(), true));
        assertEquals("cannot resume " + stopped + ": it was run with seed 3, this command asks for 4; use another output "
                + "folder, or --overwrite to replace it", other.getMessage());
        assertEquals(List.of("checkpoint-2", "latest"), CommandResult.contents(stopped.resolve("checkpoints")).stream()
                .filter(f -> !f.contains("/")).toList(), "only the latest checkpoint is kept");
    }

    private static ShapesDemo.Options tiny(Path out, int epochs) {
        return ShapesDemo.Options.builder("gardo").optTask(ShapesTask.GENEVAL).optEpochs(epochs).optSeed(3).optOut(out)
                .optEvalEvery(1).optBatch(2, 2).optEvaluation(2, 2).build();
    }

    private static PrintStream quiet() {
        return new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8);
    }
}
