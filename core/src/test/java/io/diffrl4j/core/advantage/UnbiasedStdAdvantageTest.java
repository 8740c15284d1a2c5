package io.diffrl4j.core.advantage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/**
 * DanceGRPO's and MixGRPO's advantage, {@code (r - mean) / (torch.std(r) + 1e-8)} per group, with
 * torch's unbiased std, worked by hand.
 */
class UnbiasedStdAdvantageTest {
    @Test
    void theGroupStdDividesByNMinusOne() {
        // Group 1: 1, 2, 3, 6 -> mean 3, squared deviations 4 + 1 + 0 + 9 = 14, unbiased std sqrt(14 / 3).
        // Group 2: 0, 0, 1, 1 -> mean 0.5, squared deviations 4 x 0.25 = 1, unbiased std sqrt(1 / 3).
        double[] r = {1, 2, 3, 6, 0, 0, 1, 1};
        GroupRelativeAdvantage a = new GroupRelativeAdvantage(false, 5.0, StdGuard.ADD, 1e-8).withUnbiasedStd();
        double s1 = Math.sqrt(14.0 / 3) + 1e-8;
        double s2 = Math.sqrt(1.0 / 3) + 1e-8;
        assertArrayEquals(new double[] {-2 / s1, -1 / s1, 0, 3 / s1, -0.5 / s2, -0.5 / s2, 0.5 / s2, 0.5 / s2},
                a.normalise(r, 4), 1e-12);
        assertTrue(a.unbiasedStd());
        // The population std (flow_grpo's numpy) is smaller by sqrt(3 / 4): advantages larger by sqrt(4 / 3).
        GroupRelativeAdvantage population = new GroupRelativeAdvantage(false, 5.0, StdGuard.ADD, 1e-8);
        assertFalse(population.unbiasedStd());
        assertArrayEquals(new double[] {-2 / (Math.sqrt(14.0 / 4) + 1e-8)}, new double[] {population.normalise(r, 4)[0]}, 1e-12);
        // Over the whole batch: 8 values, mean 1.75, squared deviations sum 27.5, unbiased std sqrt(27.5 / 7).
        GroupRelativeAdvantage global = new GroupRelativeAdvantage(true, 5.0, StdGuard.ADD, 1e-8).withUnbiasedStd();
        assertArrayEquals(new double[] {-2 / (Math.sqrt(27.5 / 7) + 1e-8)}, new double[] {global.normalise(r, 4)[0]}, 1e-12);
    }

    @Test
    void anUnbiasedStdNeedsTwoImagesPerGroup() {
        GroupRelativeAdvantage a = new GroupRelativeAdvantage(false, 5.0).withUnbiasedStd();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> a.normalise(new double[] {1, 2}, 1));
        assertTrue(e.getMessage().contains("at least 2"), e.getMessage());
    }
}
