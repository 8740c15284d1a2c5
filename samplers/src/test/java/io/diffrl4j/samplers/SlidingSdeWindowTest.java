package io.diffrl4j.samplers;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.testing.GaussianVelocityField;
import java.util.HashSet;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * MixGRPO's window positions against the reference's {@code GRPOTrainingStates.update_iteration},
 * worked by hand for 25 steps ({@code max_timesteps = 23}).
 */
class SlidingSdeWindowTest {
    @Test
    void theProgressiveWindowMovesByItsStrideEveryIntervalAndRollsBack() {
        SlidingSdeWindow w = SlidingSdeWindow.progressive(4, 25, 1, true);   // the MixGRPO script
        assertArrayEquals(new int[] {0, 4}, w.range(0, 25));
        assertArrayEquals(new int[] {0, 4}, w.range(24, 25));
        assertArrayEquals(new int[] {1, 5}, w.range(25, 25));
        assertArrayEquals(new int[] {11, 15}, w.range(299, 25), "the script's 300 steps end at start 11");
        assertArrayEquals(new int[] {20, 23}, w.range(500, 25), "the window shrinks at the end");
        assertArrayEquals(new int[] {22, 23}, w.range(575, 25), "start 23: empty in the reference, its last step here");
        assertArrayEquals(new int[] {0, 4}, w.range(600, 25), "start 24 > 23 rolls back");
        SlidingSdeWindow stays = SlidingSdeWindow.progressive(4, 25, 1, false);
        assertArrayEquals(new int[] {22, 23}, stays.range(600, 25), "without roll-back the start is clipped to 23");
        assertArrayEquals(new int[] {22, 23}, stays.range(5000, 25));
        SlidingSdeWindow noOverlap = SlidingSdeWindow.progressive(4, 25, 4, true);
        assertArrayEquals(new int[] {4, 8}, noOverlap.range(25, 25));
        assertArrayEquals(new int[] {20, 23}, noOverlap.range(125, 25));
        assertArrayEquals(new int[] {0, 4}, noOverlap.range(150, 25), "start 24 > 23 rolls back");
    }

    @Test
    void theDecayWindowMovesFasterAsItGoes() {
        // interval(start) = max(1, int(10 (1 - start/23) + start/23)): 10, 9 (9.61), 9 (9.22), 8 (8.83), ...
        SlidingSdeWindow w = SlidingSdeWindow.decay(4, 10, 1, 1, false);
        assertArrayEquals(new int[] {0, 4}, w.range(9, 25));
        assertArrayEquals(new int[] {1, 5}, w.range(10, 25));
        assertArrayEquals(new int[] {1, 5}, w.range(18, 25));
        assertArrayEquals(new int[] {2, 6}, w.range(19, 25));
        assertArrayEquals(new int[] {2, 6}, w.range(27, 25));
        assertArrayEquals(new int[] {3, 7}, w.range(28, 25));
        assertArrayEquals(new int[] {3, 7}, w.range(35, 25));
        assertArrayEquals(new int[] {4, 8}, w.range(36, 25));
    }

    @Test
    void theRandomWindowStartsAtZeroThenAnywhereItFitsTheSameWayEachTime() {
        SlidingSdeWindow w = SlidingSdeWindow.random(4, 7);
        assertArrayEquals(new int[] {0, 4}, w.range(0, 25));
        Set<Integer> starts = new HashSet<>();
        for (int e = 1; e <= 200; e++) {
            int[] r = w.range(e, 25);
            assertTrue(r[0] >= 0 && r[0] <= 19 && r[1] == r[0] + 4, "epoch " + e + ": " + r[0]);
            assertArrayEquals(r, SlidingSdeWindow.random(4, 7).range(e, 25), "depends on the epoch alone");
            starts.add(r[0]);
        }
        assertEquals(20, starts.size(), "every start in [0, 19] drawn in 200 epochs");
    }

    @Test
    void badSettingsAreRefused() {
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.progressive(0, 25, 1, true));
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.progressive(4, 0, 1, true));
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.decay(4, 1, 2, 1, true));
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.progressive(4, 25, -1, true));
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.random(4, 1).range(0, 2));
        assertThrows(IllegalArgumentException.class, () -> SlidingSdeWindow.random(4, 1).range(-1, 25));
    }

    @Test
    void eachEpochsSamplerRecordsTheStepsOfItsWindow() {
        // 6 steps (positions up to 4), window 2 moving by 1 every epoch, without roll-back.
        TrajectorySampler sampler = TrajectorySampler.builder().optSteps(6).optShift(1.0).optGuidanceScale(1.0)
                .optWindow(SdeWindow.sliding(SlidingSdeWindow.progressive(2, 1, 1, false)).withSharedPrefix()).build();
        int[][] expected = {{0, 1}, {1, 2}, {2, 3}, {3}, {3}};
        try (NDManager m = NDManager.newBaseManager()) {
            for (int e = 0; e < expected.length; e++) {
                TrajectorySampler at = sampler.atEpoch(e);
                assertTrue(at.window().sharesPrefix(), "the shared prefix is kept");
                assertSame(at, at.atEpoch(e + 7), "a fixed window stays fixed");
                Rollout r = at.sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(2), null, 3, new Shape(2),
                        new SeededNoise(e));
                int[] recorded = r.steps().stream().mapToInt(s -> s.index()).toArray();
                assertArrayEquals(expected[e], recorded, "epoch " + e);
                float[] x = r.samples().toFloatArray();
                assertTrue(x[0] != x[2], "a group's images part after the window");
            }
            // Sampled directly, a sliding window lies where it does in epoch 0.
            Rollout direct = sampler.sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(2), null, 3,
                    new Shape(2), new SeededNoise(0));
            assertArrayEquals(new int[] {0, 1}, direct.steps().stream().mapToInt(s -> s.index()).toArray());
        }
        SdeWindow all = SdeWindow.all();
        assertSame(all, all.atEpoch(3, 10), "other windows do not move");
    }
}
