package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.examples.cli.CommandResult;
import java.io.ByteArrayOutputStream;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The main job: its command line, and its report on real (tiny) runs and on runs with known numbers. */
class ShapesMainJobTest {
    @TempDir
    Path cwd;

    private CommandResult demo(String... args) {
        return CommandResult.run(ShapesDemo::run, cwd, args);
    }

    @Test
    void withoutAMethodBinDemoIsTheMainJob() throws Exception {
        CommandResult help = demo("--help");
        help.assertHelp(List.of("usage: bin/demo [options]", "bin/demo METHOD [options]", "  --task TASK ",
                "(default: compressibility)", "  --methods M,M,... ", "(default: flow-grpo,gardo)", "(default: 20)",
                "(default: runs/demo)", "  --resume ", "  --overwrite "));
        demo("--methods", "flow-grpo,ppo").assertUsageError("bin/demo",
                "--methods flow-grpo,ppo: unknown method 'ppo'; choose among [gardo, flow-grpo, flow-grpo-kl, diffusion-nft, crd, grpo-guard, mix-grpo, dance-grpo, awm, dgpo, tempflow-grpo]");
        demo("--methods", "gardo,gardo").assertUsageError("bin/demo", "--methods gardo,gardo: a method is listed twice");
        demo("--task", "aesthetics").assertUsageError("bin/demo",
                "--task aesthetics: unknown task; choose one of [geneval, reward-model, compressibility]");
        demo("--epochs", "0").assertUsageError("bin/demo", "--epochs 0: must be >= 1");
        assertEquals(List.of(), CommandResult.contents(cwd), "nothing is created before the arguments are good");
        ShapesComparison.Plan plan = ShapesMainJob.parse(new String[0], cwd);
        assertEquals(List.of("flow-grpo", "gardo"), plan.methods());
        assertEquals(List.of(ShapesTask.COMPRESSIBILITY), plan.tasks());
        assertEquals(cwd.resolve("runs/demo/summary.md"), plan.report());
        assertEquals(cwd.resolve("runs/demo/compressibility/gardo/seed-1"), plan.options(ShapesTask.COMPRESSIBILITY,
                "gardo", 1).out());
    }

    /** Two tiny runs end to end, then the report they make: every section, both methods, the figure. */
    @Test
    void tinyRunsMakeAReportThatSaysWhatHappened() throws Exception {
        ShapesComparison.Plan plan = new ShapesComparison.Plan(2, 2, 2, 2, 2, List.of(1L), List.of(ShapesTask.COMPRESSIBILITY),
                List.of("flow-grpo", "gardo"), cwd.resolve("demo"), cwd.resolve("demo/summary.md"), "bin/demo");
        ShapesComparison.runCells(plan, new PrintStream(OutputStream.nullOutputStream()));
        Path summary = ShapesMainJob.report(plan, 12.0);
        String text = Files.readString(summary);
        assertTrue(text.startsWith("# The main job: what RL post-training does to the Shapes model\n\nMethods: the "
                + "unregularised baseline, `flow-grpo` (no KL) and the library's default method, `gardo` (gated KL"), text);
        assertTrue(text.contains("- **flow-grpo**: gold: strict GenEval pass rate "), text);
        assertTrue(text.contains("- **gardo**: gold: strict GenEval pass rate "), text);
        assertTrue(text.contains("flow-grpo raised the proxy") || text.contains("flow-grpo did not clearly raise the proxy"),
                text);
        assertTrue(text.contains("Gold at matched proxy gain"), text);
        assertTrue(text.contains("- gardo: `compressibility/gardo/seed-1/`"), text);
        assertTrue(text.contains("![before](compressibility/flow-grpo/seed-1/before.png)"), text);
        assertTrue(text.contains("![gardo after](compressibility/gardo/seed-1/after.png)"), text);
        assertTrue(Files.exists(cwd.resolve("demo/compressibility/gardo/seed-1/after.png")));
        assertTrue(Files.size(cwd.resolve("demo/trajectories.png")) > 10_000);
        assertEquals(5, ShapesReport.readChanges(cwd.resolve("demo/compressibility/gardo/seed-1/changes.csv")).size());
    }

    /**
     * The verdict on runs with known numbers: flow-grpo's held-out proxy 0.44 -> 0.54 -> 0.74 with
     * gold 0.45 -> 0.40 -> 0.15, gardo's 0.44 -> 0.49 -> 0.64 with gold 0.45 -> 0.45 -> 0.35. Both
     * reach +0.2; there flow-grpo's gold is 0.40 + 0.5 (0.15 - 0.40) - 0.45 = -0.175 and gardo's its
     * end point, -0.10: gardo kept +0.075.
     */
    @Test
    void theVerdictComparesGoldAtTheLargestGainBothReached() throws Exception {
        ShapesComparison.Plan plan = new ShapesComparison.Plan(9, 8, 8, 33, 3, List.of(1L), List.of(ShapesTask.COMPRESSIBILITY),
                List.of("flow-grpo", "gardo"), cwd.resolve("demo"), cwd.resolve("demo/summary.md"), "bin/demo");
        write(plan, "flow-grpo", new double[] {0.44, 0.54, 0.74}, new double[] {0.45, 0.40, 0.15},
                "proxy reward,0.44,0.74,0.30,0.25,0.35,true\ngold: strict GenEval pass rate,0.45,0.15,-0.30,-0.40,-0.20,true\n");
        write(plan, "gardo", new double[] {0.44, 0.49, 0.64}, new double[] {0.45, 0.45, 0.35},
                "proxy reward,0.44,0.64,0.20,0.15,0.25,true\ngold: strict GenEval pass rate,0.45,0.35,-0.10,-0.20,0.01,true\n");
        String text = Files.readString(ShapesMainJob.report(plan, 300));
        assertTrue(text.contains("flow-grpo raised the proxy (+0.300) and the gold fell (-0.300): reward hacking. "
                + "gardo raised the proxy (+0.200) and the gold stayed within noise (-0.100). At the largest held-out proxy "
                + "gain both reached (+0.200), flow-grpo's gold had changed by -0.175 and gardo's by -0.100: gardo kept "
                + "0.075 more gold than flow-grpo at the same proxy gain"), text);
        assertTrue(text.contains("300 s in all"), text);
    }

    private static void write(ShapesComparison.Plan plan, String method, double[] proxy, double[] gold, String changes)
            throws Exception {
        Path run = plan.options(ShapesTask.COMPRESSIBILITY, method, 1).out();
        Files.createDirectories(run);
        StringBuilder train = new StringBuilder("epoch,reward/compressibility/mean\n");
        for (int e = 0; e < 9; e++) {
            train.append(e).append(',').append(0.5 + 0.01 * e).append('\n');
        }
        Files.writeString(run.resolve("metrics.csv"), train.toString());
        StringBuilder eval = new StringBuilder("epoch,gold_strict_pass_rate,gold_mean_score,proxy_mean,vendi_within_prompt,"
                + "frechet_to_real\n");
        for (int i = 0; i < proxy.length; i++) {
            eval.append(i * 4).append(',').append(gold[i]).append(",0.6,").append(proxy[i]).append(",2.6,0.3\n");
        }
        Files.writeString(run.resolve("eval.csv"), eval.toString());
        Files.writeString(run.resolve(ShapesReport.CHANGES), "metric,before,after,change,low,high,higher_is_better\n" + changes);
    }
}
