package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The comparison run's code path with a tiny budget: runs, resume, tables, figures. */
class ShapesComparisonTest {
    @Test
    void runsEveryCellOnceAndWritesOneTableAndFigurePerTask(@TempDir Path dir) throws Exception {
        ShapesComparison.Plan plan = new ShapesComparison.Plan(1, 2, 2, 2, 2, List.of(1L, 2L),
                List.of(ShapesTask.values()), List.of("crd"), dir.resolve("runs"),
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
        for (ShapesTask t : ShapesTask.values()) {
            BufferedImage fig = ImageIO.read(dir.resolve("out/results/shapes-" + t.cliName() + ".png").toFile());
            assertEquals(2 * 640, fig.getWidth());
            assertEquals(2 * 360, fig.getHeight());
        }

        // A person's reading survives regeneration; finished runs are not run again.
        Files.writeString(plan.report(), report.replace(ShapesComparison.NOTES + "\n\n(to be written by a person reading "
                + "the numbers above)\n", ShapesComparison.NOTES + "\n\nGARDO kept diversity.\n"));
        log.reset();
        ShapesComparison.run(plan, new PrintStream(log, true, StandardCharsets.UTF_8));
        assertEquals(4, log.toString(StandardCharsets.UTF_8).lines().filter(l -> l.endsWith("done before")).count());
        assertTrue(Files.readString(plan.report()).endsWith(ShapesComparison.NOTES + "\n\nGARDO kept diversity.\n"));
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
