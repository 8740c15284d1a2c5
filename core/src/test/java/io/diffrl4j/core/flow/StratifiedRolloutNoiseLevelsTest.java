package io.diffrl4j.core.flow;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class StratifiedRolloutNoiseLevelsTest {
    @Test
    void twentyPassesOverTheTenStepRolloutAreThePortsFixedSequence() {
        // By hand from TimeSampler.discrete with timestep_range 0.99 (timesteps >= 10): the 10-step
        // shift-3 grid ends at sigma(9) = S(S(0.001)) = 0.0089 (timestep 8.9, out) and sigma(8) = 0.278,
        // so indices 0..8 are valid; boundaries linspace(0, 8, 21) = 0.4 k; each stratum is narrower
        // than 2, so index_k = floor(0.4 k) whatever u is.
        double t9 = 3 * (3 * 0.001 / 1.002) / (1 + 2 * (3 * 0.001 / 1.002));
        assertEquals(t9, InferenceSchedule.of(10, 3.0).sigma(9), 1e-12);
        assertTrue(1000 * t9 < 10);
        int[] expected = {0, 0, 0, 1, 1, 2, 2, 2, 3, 3, 4, 4, 4, 5, 5, 6, 6, 6, 7, 7};
        StratifiedRolloutNoiseLevels levels = new StratifiedRolloutNoiseLevels();
        assertEquals(20, levels.levelsPerSample());
        assertTrue(levels.sharedWithinGroup());
        assertArrayEquals(expected, levels.indices(new double[20]));
        double[] almostOne = new double[20];
        java.util.Arrays.fill(almostOne, 0.999999);
        assertArrayEquals(expected, levels.indices(almostOne));
        double[] sigmas = InferenceSchedule.of(10, 3.0).sigmas();
        double[][] drawn = levels.draw(3, new SeededNoise(9));
        for (double[] row : drawn) {
            for (int k = 0; k < 20; k++) {
                assertEquals(sigmas[expected[k]], row[k], 0.0, "pass " + k);
            }
        }
    }

    @Test
    void widerStrataDrawWithinTheirBounds() {
        // 4 passes over valid indices 0..8: linspace(0, 8, 5) = 0, 2, 4, 6, 8 -> strata [0,2), [2,4), [4,6), [6,8).
        StratifiedRolloutNoiseLevels levels = new StratifiedRolloutNoiseLevels(4, 10, 3.0, 0.99);
        assertArrayEquals(new int[] {0, 2, 4, 6}, levels.indices(new double[4]));
        assertArrayEquals(new int[] {1, 3, 5, 7}, levels.indices(new double[] {0.99, 0.99, 0.99, 0.99}));
        // range 1.0 admits every level: linspace(0, 9, 5) = 0, 2.25, 4.5, 6.75, 9 -> [0,2), [2,4), [4,6), [6,9).
        StratifiedRolloutNoiseLevels all = new StratifiedRolloutNoiseLevels(4, 10, 3.0, 1.0);
        assertArrayEquals(new int[] {1, 3, 5, 8}, all.indices(new double[] {0.99, 0.99, 0.99, 0.99}));
    }

    @Test
    void awmsStrataSkipTheFirstLevelAndStopAtNinetyPercent() {
        // AWM's discrete_wo_init on its 14-step rollout: torch.linspace(1, int(14 * 0.9) = 12, 7).long()
        // = 1, 2, 4, 6, 8, 10, 12 (1, 2.83, 4.67, 6.5, 8.33, 10.17, 12 truncated), so the strata are
        // {1}, {2, 3}, {4, 5}, {6, 7}, {8, 9}, {10, 11}: the first level (sigma 1) and the last two never train.
        StratifiedRolloutNoiseLevels awm = StratifiedRolloutNoiseLevels.overIndices(6, 14, 3.0, 1, 12);
        assertArrayEquals(new int[] {1, 2, 4, 6, 8, 10}, awm.indices(new double[6]));
        double[] almostOne = new double[6];
        java.util.Arrays.fill(almostOne, 0.999999);
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11}, awm.indices(almostOne));
        // discrete (PickScore): from index 0, linspace(0, 12, 7) = 0, 2, ..., 12.
        assertArrayEquals(new int[] {1, 3, 5, 7, 9, 11},
                StratifiedRolloutNoiseLevels.overIndices(6, 14, 3.0, 0, 12).indices(almostOne));
        assertArrayEquals(new int[] {0, 2, 4, 6, 8, 10},
                StratifiedRolloutNoiseLevels.overIndices(6, 14, 3.0, 0, 12).indices(new double[6]));
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> StratifiedRolloutNoiseLevels.overIndices(6, 10, 1.0, 1, 12));
        assertTrue(e.getMessage().contains("1..12"), e.getMessage());
    }
}
