package io.diffrl4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** Gold at matched proxy gain, on trajectories whose answers are worked out by hand. */
class MatchedProxyTest {

    @Test
    void interpolatesBetweenTheEvaluationsThatBracketTheGain() {
        double[] proxy = {0.40, 0.50, 0.70, 0.90};
        double[] gold = {0.60, 0.55, 0.35, 0.10};
        // Gain 0.2 -> proxy 0.60, halfway from 0.50 to 0.70: gold 0.45, a change of -0.15.
        assertEquals(-0.15, MatchedProxy.goldChangeAt(proxy, gold, 0.2), 1e-12);
        // Gain 0.1 is reached exactly at the second evaluation: -0.05.
        assertEquals(-0.05, MatchedProxy.goldChangeAt(proxy, gold, 0.1), 1e-12);
        // Gain 0.5 is the last point: -0.50; beyond it, never reached.
        assertEquals(-0.50, MatchedProxy.goldChangeAt(proxy, gold, 0.5), 1e-12);
        assertTrue(Double.isNaN(MatchedProxy.goldChangeAt(proxy, gold, 0.51)));
        assertEquals(0.5, MatchedProxy.maxGain(proxy), 1e-12);
    }

    @Test
    void takesTheFirstCrossingOfANonMonotoneTrajectory() {
        // The proxy rises past 0.6, falls back and rises again: the first crossing counts (0.2 of the
        // way from 0.50 to 1.00 -> gold 0.50 + 0.2 * (0.30 - 0.50) = 0.46, change -0.14).
        double[] proxy = {0.40, 0.50, 1.00, 0.45, 0.70};
        double[] gold = {0.60, 0.50, 0.30, 0.60, 0.20};
        assertEquals(-0.14, MatchedProxy.goldChangeAt(proxy, gold, 0.2), 1e-12);
        assertEquals(0.6, MatchedProxy.maxGain(proxy), 1e-12);
        assertEquals(0.0, MatchedProxy.maxGain(new double[] {0.5, 0.4, 0.3}), 0);
    }

    @Test
    void theFrontierKeepsThePointsNoOtherBeatsOnBoth() {
        double[] proxy = {0.4, 0.5, 0.6, 0.6, 0.8, 0.7, 0.9};
        double[] gold = {0.6, 0.5, 0.55, 0.3, 0.2, 0.1, 0.05};
        double[][] f = MatchedProxy.frontier(proxy, gold);
        assertArrayEquals(new double[] {0.4, 0.6, 0.8, 0.9}, f[0], 0);
        assertArrayEquals(new double[] {0.6, 0.55, 0.2, 0.05}, f[1], 0);
    }

    @Test
    void refusesMalformedTrajectories() {
        assertThrows(IllegalArgumentException.class, () -> MatchedProxy.goldChangeAt(new double[] {1}, new double[] {1, 2}, 0.1));
        assertThrows(IllegalArgumentException.class, () -> MatchedProxy.goldChangeAt(new double[0], new double[0], 0.1));
        assertThrows(IllegalArgumentException.class, () -> MatchedProxy.goldChangeAt(new double[] {1}, new double[] {1}, 0));
    }
}
