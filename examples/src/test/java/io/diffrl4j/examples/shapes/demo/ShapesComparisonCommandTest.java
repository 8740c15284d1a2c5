package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.examples.cli.CommandResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** bin/compare as a command: help, bad input, paths and the runs-folder rule, all before anything is created. */
class ShapesComparisonCommandTest {
    @TempDir
    Path cwd;

    private CommandResult compare(String... args) {
        return CommandResult.run(ShapesComparison::run, cwd, args);
    }

    @Test
    void helpListsEveryOptionAndCreatesNothing() throws Exception {
        CommandResult help = compare("--help");
        help.assertHelp(List.of("usage: bin/compare [options]", "--epochs N ", "(default: 20)", "--seeds S,S,... ",
                "(default: 1,2,3)", "--tasks T,T,... ", "--methods M,M,... ", "--runs DIR ", "(default: runs/comparison)",
                "--report FILE ", "--resume ", "--overwrite "));
        assertEquals(List.of(), CommandResult.contents(cwd));
    }

    @Test
    void badInputIsNamedAsTypedInOneLineAndCreatesNothing() throws Exception {
        compare("--epochs", "0").assertUsageError("bin/compare", "--epochs 0: must be >= 1");
        compare("--seeds", "1,x").assertUsageError("bin/compare", "--seeds 1,x: 'x' is not a whole number");
        compare("--methods", "gardo,ppo").assertUsageError("bin/compare",
                "--methods gardo,ppo: unknown method 'ppo'; choose among [gardo, flow-grpo, flow-grpo-kl, diffusion-nft, crd, grpo-guard, mix-grpo, dance-grpo, awm, dgpo, tempflow-grpo]");
        compare("--tasks", "geneval,aesthetics").assertUsageError("bin/compare",
                "--tasks geneval,aesthetics: unknown task 'aesthetics'; choose among [geneval, reward-model, compressibility]");
        assertEquals(List.of(), CommandResult.contents(cwd));
    }

    @Test
    void relativePathsAreTheCallers() {
        ShapesComparison.Plan p = ShapesComparison.parse(new String[] {"--epochs", "4", "--tasks", "reward-model",
            "--runs", "cmp"}, cwd);
        assertEquals(4, p.epochs());
        assertEquals(List.of(ShapesTask.REWARD_MODEL), p.tasks());
        assertEquals(List.of(1L, 2L, 3L), p.seeds());
        assertEquals(33, p.evalPrompts());
        assertEquals(cwd.resolve("cmp"), p.runs());
        assertEquals(cwd.resolve("cmp/RESULTS.md"), p.report(), "the report defaults into the runs folder");
        assertEquals(cwd.resolve("cmp/reward-model/crd/seed-2"), p.options(ShapesTask.REWARD_MODEL, "crd", 2).out());
        assertEquals(cwd.resolve("doc/R.md"), ShapesComparison.parse(new String[] {"--report", "doc/R.md"}, cwd).report());
    }

    @Test
    void aRunsFolderInUseIsRefused() throws Exception {
        Files.createDirectories(cwd.resolve("runs/comparison/geneval"));
        compare().assertUsageError("bin/compare", "--runs runs/comparison (the default): the folder exists and is not "
                + "empty; give --resume to continue that run or --overwrite to replace it");
        compare("--overwrite").assertUsageError("bin/compare", "--runs runs/comparison (the default): not overwritten: "
                + "it holds no config.json, so it does not look like a run folder; delete it yourself if it is one");
        assertEquals(List.of("runs", "runs/comparison", "runs/comparison/geneval"), CommandResult.contents(cwd));
    }
}
