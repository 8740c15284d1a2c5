package io.diffrl4j.rewards.scale;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/** The logistic map onto (0, 1), against values written out by hand. */
class UnitIntervalRewardTest {

    /** A raw reward that returns fixed scores and remembers being closed. */
    private static final class Fixed implements RewardFunction, AutoCloseable {
        final double[] scores;
        final AtomicBoolean closed = new AtomicBoolean();

        Fixed(double... scores) {
            this.scores = scores;
        }

        @Override
        public String name() {
            return "jpeg";
        }

        @Override
        public double[] score(ImageBatch images, List<Prompt> prompts) {
            return scores.clone();
        }

        @Override
        public void close() {
            closed.set(true);
        }
    }

    @Test
    void mapsTheCenterToOneHalfAndOneScaleToTheLogisticOfOne() throws Exception {
        Fixed raw = new Fixed(-1.07, -0.94, -1.20, -0.68, Double.NaN, Double.NEGATIVE_INFINITY);
        UnitIntervalReward r = new UnitIntervalReward(raw, "compressibility", -1.07, 0.13);
        double[] s = r.score(null, List.of());
        // 1 / (1 + e^-1) = 0.7310585786300049, 1 / (1 + e^1) = 0.2689414213699951, and three scales up
        // 1 / (1 + e^-3) = 0.9525741268224334.
        assertArrayEquals(new double[] {0.5, 0.7310585786300049, 0.2689414213699951, 0.9525741268224334}, 
                java.util.Arrays.copyOf(s, 4), 1e-12);
        assertTrue(Double.isNaN(s[4]) && Double.isNaN(s[5]), "non-finite raw scores stay visible as NaN");
        assertEquals("compressibility", r.name());
        r.close();
        assertTrue(raw.closed.get());
    }

    @Test
    void keepsTheOrderAndStaysInsideTheInterval() {
        UnitIntervalReward r = new UnitIntervalReward(new Fixed(), "c", 0, 1);
        double previous = -1;
        for (double x = -40; x <= 40; x += 0.5) {
            double y = r.map(x);
            assertTrue(y >= 0 && y <= 1 && y >= previous, x + " -> " + y);
            previous = y;
        }
    }

    @Test
    void refusesScalesThatWouldReverseOrBreakTheMap() {
        Fixed raw = new Fixed();
        assertThrows(IllegalArgumentException.class, () -> new UnitIntervalReward(raw, "c", 0, 0));
        assertThrows(IllegalArgumentException.class, () -> new UnitIntervalReward(raw, "c", 0, -1));
        assertThrows(IllegalArgumentException.class, () -> new UnitIntervalReward(raw, "c", Double.NaN, 1));
        assertThrows(IllegalArgumentException.class, () -> new UnitIntervalReward(raw, "c", 0, Double.POSITIVE_INFINITY));
        assertThrows(IllegalArgumentException.class, () -> new UnitIntervalReward(raw, " ", 0, 1));
    }
}
