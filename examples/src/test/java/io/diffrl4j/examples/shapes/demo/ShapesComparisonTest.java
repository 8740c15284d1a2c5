package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison run's code path with a tiny budget: runs, resume, tables, figures. */
class ShapesComparisonTest {
    @Test
    void runsEveryCellOnceAndWritesOneTableAndFigurePerTask(@TempDir Path dir) throws Exception {
        ShapesComparison.Plan plan = new ShapesComparison.Plan(1, 2, 2, 2, 2, List.of(1L, 2L),
                List.of(ShapesTask.GENEVAL, ShapesTask.REWARD_MODEL), List.of("crd"), dir.resolve("runs"),
                dir.resolve("out/RESULTS.md"), "ShapesComparison --epochs 1");
        ByteArrayOutputStream log = new ByteArrayOutputStream();
        ShapesComparison.run(plan, new PrintStream(log, true, StandardCharsets.UTF_8));
        String first = log.toString(StandardCharsets.UTF_8);
        assertEquals(4, first.lines().count(), first);
        assertTrue(Files.exists(dir.resolve("runs/reward-model/crd/seed-2/summary.md")));

        String report = Files.readString(plan.report());
        assertEquals(2, report.split("\n## Task: ", -1).length - 1, report);
        // header + separator + one row per method, in each table
        assertTrue(report.contains("\n| crd | "), report);
        assertEquals(2, report.split("\nChange from the base model, run by run", -1).length - 1, report);
        assertTrue(report.contains("(4 sampled images, the same budget for every method)"), report);
        for (ShapesTask t : plan.tasks()) {
            BufferedImage fig = ImageIO.read(dir.resolve("out/results/shapes-" + t.cliName() + ".png").toFile());
            assertEquals(2 * 760, fig.getWidth());
            assertEquals(3 * 380, fig.getHeight()); // five charts, two per row
        }

        // A person's reading survives regeneration; finished runs are not run again.
        Files.writeString(plan.report(), report.replace(ShapesComparison.NOTES + "\n\n(to be written by a person reading "
                + "the numbers above)\n", ShapesComparison.NOTES + "\n\nGARDO kept diversity.\n"));
        log.reset();
        ShapesComparison.run(plan, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(4, log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.endsWith("done before")).count());
        assertTrue(Files.readString(plan.report()).endsWith(ShapesComparison.NOTES + "\n\nGARDO kept diversity.\n"));
    }

    /**
     * The report generator alone, on synthetic run folders (no training): gardo raises the gold by
     * 0.1 on every seed, crd moves it by +-0.05 at random; the training proxy of every run is a
     * saw-tooth whose first and last epochs differ but whose windows do not.
     */
    @Test
    void theReportReadsRunFoldersAndSaysWhatMovedBeyondTheSeedNoise(@TempDir Path dir) throws Exception {
        ShapesComparison.Plan plan = new ShapesComparison.Plan(9, 8, 8, 33, 3, List.of(1L, 2L, 3L),
                List.of(ShapesTask.GENEVAL), List.of("gardo", "crd"), dir.resolve("runs"), dir.resolve("RESULTS.md"), "test");
        double[] crd = {0.05, -0.05, 0.02};
        for (long seed = 1; seed <= 3; seed++) {
            for (String method : plan.methods()) {
                Path run = plan.options(ShapesTask.GENEVAL, method, seed).out();
                Files.createDirectories(run);
                StringBuilder train = new StringBuilder("epoch,reward/geneval/mean,kl\n");
                for (int e = 0; e < 9; e++) {
                    train.append(e).append(',').append(e % 3 == 0 ? 0.4 : e % 3 == 1 ? 0.6 : 0.5).append(",0.001\n");
                }
                Files.writeString(run.resolve("metrics.csv"), train.toString());
                double base = 0.40 + 0.01 * seed;
                double gold = base + (method.equals("gardo") ? 0.1 : crd[(int) seed - 1]);
                Files.writeString(run.resolve("eval.csv"), "epoch,gold_strict_pass_rate,gold_mean_score,proxy_mean,"
                        + "vendi_within_prompt,frechet_to_real\n"
                        + "0," + base + ",0.6,0.6,2.6,0.3\n5," + (base + gold) / 2 + ",0.6,0.6,2.6,0.3\n9," + gold
                        + ",0.6,0.6,2.6,0.3\n");
            }
        }
        ShapesComparison.writeReport(plan);
        String report = Files.readString(plan.report());
        assertTrue(report.contains("the 33 held-out evaluation prompts x 3 images = 99 images per run"), report);
        assertTrue(report.contains("Base model before training (33 held-out evaluation prompts x 3 images = 99 images, "
                + "mean ± standard deviation over the seeds' noise): gold strict pass rate 0.420 ± 0.010"), report);
        // windows of 3 epochs: (0.4 + 0.6 + 0.5) / 3 at both ends, not 0.4 against 0.5
        assertTrue(report.contains("| gardo | 0.500 ± 0.000 | 0.500 ± 0.000 | "), report);
        assertTrue(report.contains("- gold strict pass rate: rose for gardo (+0.100); within the seed noise for crd.\n"),
                report);
        assertTrue(report.contains("- Vendi within prompt: no method moved it beyond the seed noise.\n"), report);
        BufferedImage fig = ImageIO.read(dir.resolve("results/shapes-geneval.png").toFile());
        assertEquals(2 * 760, fig.getWidth());
        assertEquals(4.303, ShapesComparison.tCritical(2), 0.0);
        assertEquals(2.042, ShapesComparison.tCritical(30), 0.005);
    }

    /**
     * Matched proxy gain on trajectories worked out by hand: flow-grpo's proxy rises 0.4 -> 0.5 -> 0.6
     * while its gold falls 0.5 -> 0.4 -> 0.2 (at +0.05: -0.05, +0.1: -0.1, +0.15: -0.2, +0.2: -0.3);
     * gardo's rises 0.4 -> 0.45 -> 0.6 with gold 0.5 -> 0.5 -> 0.4 (at +0.1, a third of the way from
     * 0.45 to 0.6: -0.1 / 3; at +0.15: -0.2 / 3; at +0.2: -0.1), except its third seed, which stops at
     * 0.5 (+0.1 is its end point, gold -0.1). Each seed shifts the gold by a constant, which changes
     * no difference.
     */
    @Test
    void goldIsComparedAtEqualProxyGain() {
        Map<String, ShapesComparison.Curves> curves = new LinkedHashMap<>();
        curves.put("crd", curves(new double[][] {{0.4, 0.4, 0.4}, {0.4, 0.4, 0.4}, {0.4, 0.4, 0.4}},
                new double[] {0.5, 0.5, 0.5}));
        curves.put("flow-grpo", curves(new double[][] {{0.4, 0.5, 0.6}, {0.4, 0.5, 0.6}, {0.4, 0.5, 0.6}},
                new double[] {0.5, 0.4, 0.2}));
        curves.put("gardo", curves(new double[][] {{0.4, 0.45, 0.6}, {0.4, 0.45, 0.6}, {0.4, 0.45, 0.5}},
                new double[] {0.5, 0.5, 0.4}));
        String table = ShapesComparison.matchedProxy(curves);
        assertTrue(table.contains("| method | proxy +0.05 | proxy +0.1 | proxy +0.15 | proxy +0.2 |"), table);
        assertTrue(table.contains("| flow-grpo | -0.050 ± 0.000 (3) | -0.100 ± 0.000 (3) | -0.200 ± 0.000 (3) | "
                + "-0.300 ± 0.000 (3) |"), table);
        // At +0.1: (-1/30 - 1/30 - 0.1) / 3 = -0.0556, t-interval 4.303 * 0.03849 / sqrt(3) = 0.096.
        assertTrue(table.contains("| gardo | +0.000 ± 0.000 (3) | -0.056 ± 0.096 (3) | -0.067 ± 0.000 (2) | "
                + "-0.100 ± 0.000 (2) |"), table);
        assertTrue(table.contains("Difference from flow-grpo at the same gain, paired by seed"), table);
        // flow-grpo is the baseline wherever it is listed; crd never moved, so it reaches no gain.
        assertTrue(table.contains("| gardo | +0.050 ± 0.000 (3) | +0.044 ± 0.096 (3) | +0.133 ± 0.000 (2) | "
                + "+0.200 ± 0.000 (2) |"), table);
        assertTrue(table.contains("| crd | not reached | not reached | not reached | not reached |"), table);
    }

    private static ShapesComparison.Curves curves(double[][] proxy, double[] gold) {
        List<Map<String, double[]>> runs = new ArrayList<>();
        for (int s = 0; s < proxy.length; s++) {
            double shift = 0.01 * s;
            runs.add(Map.of("proxy_mean", proxy[s], "gold_strict_pass_rate",
                    Arrays.stream(gold).map(g -> g + shift).toArray()));
        }
        return new ShapesComparison.Curves(null, null, null, null, null, null, null, null, runs);
    }

    @Test
    void spreadIsTheSampleStandardDeviation() {
        assertEquals("2.000 ± 1.000", ShapesComparison.stat(new double[] {1, 2, 3}));
        assertEquals("0.500", ShapesComparison.stat(new double[] {0.5}));
        assertEquals("+0.500", ShapesComparison.signed(new double[] {0.5}));
        assertEquals("-1.000 ± 1.000", ShapesComparison.signed(new double[] {0, -1, -2}));
        assertEquals("0.000120 ± 2.00e-05", ShapesComparison.small(new double[] {1e-4, 1.2e-4, 1.4e-4}));
    }
}
