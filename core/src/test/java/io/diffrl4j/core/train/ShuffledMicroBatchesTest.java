package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** GARDO's micro-batches: the epoch's images shuffled across prompts, 9 per micro-batch. */
class ShuffledMicroBatchesTest {
    @Test
    void rowsAreShuffledAcrossPromptsIntoNineImageMicroBatches() {
        // 4 prompts x 6 images = 24 rows -> micro-batches of 9, 9, 6 that cover every row once.
        double[] advantages = new double[24];
        java.util.Arrays.fill(advantages, 1.0);
        List<int[]> micro = MicroBatches.shuffledRows(4, 6, 9, advantages, false, new SeededNoise(1));
        assertEquals(List.of(9, 9, 6), micro.stream().map(r -> r.length).toList());
        Set<Integer> seen = new HashSet<>();
        boolean mixed = false;
        for (int[] rows : micro) {
            Set<Integer> prompts = new HashSet<>();
            for (int r : rows) {
                assertTrue(seen.add(r), "row " + r + " twice");
                prompts.add(r / 6);
            }
            mixed |= prompts.size() > 1;
        }
        assertEquals(24, seen.size());
        assertTrue(mixed, "a micro-batch holds images of several prompts");
        // A group without signal is left out when asked: 18 rows -> 9, 9.
        java.util.Arrays.fill(advantages, 6, 12, 0.0);
        List<int[]> kept = MicroBatches.shuffledRows(4, 6, 9, advantages, true, new SeededNoise(1));
        assertEquals(2, kept.size());
        kept.forEach(rows -> java.util.Arrays.stream(rows).forEach(r -> assertTrue(r / 6 != 1, "row " + r)));
    }

    private static Rollout rollout(NDManager m, int firstRow, int rows, int stepIndex) {
        NDArray samples = m.arange((float) firstRow, (float) (firstRow + rows)).reshape(rows, 1);
        NDArray x = samples.add(1000f);
        RecordedStep step = new RecordedStep(stepIndex, 0.5, 0.25, x, new io.diffrl4j.core.sampling.StepResult(
                samples.add(2000f), samples.add(4000f), samples.add(3000f).reshape(rows), 0.1, 0.05));
        return new Rollout(samples, List.of(step), InferenceSchedule.of(4, 1.0), 3);
    }

    @Test
    void rowsFromSeveralSamplingBatchesAreGatheredInOneMicroBatch() {
        try (NDManager m = NDManager.newBaseManager()) {
            // Two sampling batches of 2 prompts x 3 images: epoch rows 0..5 and 6..11.
            List<MicroBatches.Source> sources = new ArrayList<>();
            for (int c = 0; c < 2; c++) {
                NDArray pooled = m.arange((float) (2 * c), (float) (2 * c + 2)).reshape(2, 1);
                sources.add(new MicroBatches.Source(rollout(m, 6 * c, 6, 1), Conditioning.of(null, pooled), null, 6 * c));
            }
            double[] advantages = new double[12];
            for (int i = 0; i < 12; i++) {
                advantages[i] = i / 10.0;
            }
            int[] rows = {1, 4, 7, 11};
            MicroBatches.Step step = new MicroBatches.Step(m, new TrainingProgress(0, 0));
            MicroBatches.Epoch epoch = new MicroBatches.Epoch(advantages, null, null, new SeededNoise(2));
            MicroBatch mb = MicroBatches.buildRows(step, rows, sources, 3, epoch, new SeededNoise(1));
            assertArrayEquals(rows, mb.rows());
            assertArrayEquals(new float[] {1, 4, 7, 11}, mb.samples().toFloatArray());
            assertArrayEquals(new float[] {0.1f, 0.4f, 0.7f, 1.1f}, mb.advantages().toFloatArray(), 1e-7f);
            RecordedStep s = mb.steps().get(0);
            assertArrayEquals(new float[] {1001, 1004, 1007, 1011}, s.x().toFloatArray());
            assertArrayEquals(new float[] {3001, 3004, 3007, 3011}, s.logProb().toFloatArray());
            // Prompt of each row: 0, 1 (batch 0), 2, 3 (batch 1).
            assertArrayEquals(new float[] {0, 1, 2, 3}, mb.conditioning().pooled().toFloatArray());

            sources.set(1, new MicroBatches.Source(rollout(m, 6, 6, 2), sources.get(1).cond(), null, 6));
            assertThrows(IllegalStateException.class, () -> MicroBatches.buildRows(step, rows, sources, 3, epoch,
                    new SeededNoise(1)));
        }
    }

    @Test
    void theConfigChecksTheOption() {
        assertEquals(0, TrainerConfig.builder().build().shuffledImagesPerMicroBatch());
        assertEquals(9, TrainerConfig.builder().optShuffledMicroBatches(9).build().shuffledImagesPerMicroBatch());
        assertThrows(IllegalArgumentException.class, () -> TrainerConfig.builder().optShuffledMicroBatches(9)
                .optImagesPerMicroBatch(8).build());
        // One prompt of 24 images in micro-batches of 9 (9, 9, 6) can take 2 optimizer steps, not 4.
        assertEquals(2, TrainerConfig.builder().optPromptsPerEpoch(1).optShuffledMicroBatches(9).optOptimizerStepsPerEpoch(2)
                .build().optimizerStepsPerEpoch());
        assertThrows(IllegalArgumentException.class, () -> TrainerConfig.builder().optPromptsPerEpoch(1)
                .optShuffledMicroBatches(9).optOptimizerStepsPerEpoch(4).build());
    }
}
