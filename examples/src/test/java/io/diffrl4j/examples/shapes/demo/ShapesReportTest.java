package io.diffrl4j.examples.shapes.demo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.examples.report.PairedBootstrap;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The summary's pure parts: windows, moving averages, per-prompt means and the words. */
class ShapesReportTest {
    @Test
    void theTrainingRewardIsReadAsAMovingAverageWithItsStandardError() {
        assertEquals(5, ShapesReport.window(30));
        assertEquals(3, ShapesReport.window(10));
        assertEquals(1, ShapesReport.window(2));
        double[][] ma = ShapesReport.movingAverage(new double[] {1, 3, 2, Double.NaN, 6}, 3);
        assertArrayEquals(new double[] {1, 2, 2, 2.5, 4}, ma[0], 1e-12);
        // {1, 3}: sd sqrt(2), se 1; {1, 3, 2}: sd 1, se 1/sqrt(3); {3, 2} (NaN skipped): se 0.5; {2, 6}: se 2
        assertArrayEquals(new double[] {0, 1, 1 / Math.sqrt(3), 0.5, 2}, ma[1], 1e-12);
    }

    @Test
    void theTrainingRewardSentenceComparesWindowsNotSingleEpochs() {
        ShapesDemo.Options o = ShapesDemo.Options.builder("gardo").optTask(ShapesTask.GENEVAL).optEpochs(9).optSeed(1).optOut(Path.of("x"))
                .optEvalEvery(3).optBatch(8, 8).optEvaluation(33, 3).build();
        // epoch 1 alone is low and epoch 9 alone is high, but the first and last 3-epoch windows agree
        double[] proxy = {0.2, 0.8, 0.5, 0.5, 0.5, 0.5, 0.8, 0.2, 0.8};
        String s = ShapesReport.trainingReward(o, proxy);
        assertTrue(s.contains("mean of epochs 1-3 0.500 ± 0.173, of epochs 7-9 0.600 ± 0.200 (± standard error), change +0.10 ± 0.265: "
                + "within noise (under 2 standard errors)."), s);
        String rising = ShapesReport.trainingReward(o, new double[] {0.1, 0.11, 0.12, 0.3, 0.3, 0.3, 0.5, 0.51, 0.52});
        assertTrue(rising.endsWith("rose by more than 2 standard errors."), rising);
        // below 6 epochs no windows are compared, and never the first epoch with the last
        String few = ShapesReport.trainingReward(o, new double[] {0.8, 0.4, 0.6});
        assertTrue(few.endsWith(": mean of the 3 epochs 0.600 ± 0.115 (± standard error); too few epochs to compare a first "
                + "and a last window of 2."), few);
    }

    @Test
    void changesReadAsBetterWorseOrWithinNoise() {
        double[] b = {0, 0, 0, 0};
        PairedBootstrap.Interval up = PairedBootstrap.meanDifference(b, new double[] {1, 1, 0.5, 1}, 500, 1);
        PairedBootstrap.Interval noise = PairedBootstrap.meanDifference(b, new double[] {1, -1, 1, -1}, 500, 1);
        ShapesReport.Change pass = new ShapesReport.Change("pass rate", "", 0.4, 0.5, up, true);
        ShapesReport.Change frechet = new ShapesReport.Change("Frechet", "", 0.3, 0.4, up, false);
        ShapesReport.Change vendi = new ShapesReport.Change("Vendi", "", 2.5, 2.5, noise, true);
        assertEquals("rose (better)", pass.verdict());
        assertEquals("rose (worse)", frechet.verdict());
        assertEquals("no clear change (within noise)", vendi.verdict());
        assertEquals("In short: better: pass rate; worse: Frechet; within noise: Vendi.",
                ShapesReport.inShort(List.of(pass, frechet, vendi)));
        assertArrayEquals(new double[] {2.0 / 3, 1.0 / 3}, ShapesReport.perPrompt(new double[] {1, 1, 0, 0, 1, 0}, 3), 1e-12);
        assertEquals("+0.030", ShapesReport.signed(0.03));
        assertEquals("-0.0012", ShapesReport.signed(-0.00123));
        assertEquals("0", ShapesReport.signed(0.0));
        assertEquals("0.404", ShapesReport.num(0.40404));
    }
}
