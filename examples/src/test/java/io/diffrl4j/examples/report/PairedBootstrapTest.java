package io.diffrl4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class PairedBootstrapTest {
    // Per-unit differences 0.2, 0, 0.3, 0.1, 0, 0.3: mean 0.15, squared deviations sum to 0.095.
    private static final double[] BEFORE = {0.2, 0.5, 0.4, 0.9, 0.1, 0.6};
    private static final double[] AFTER = {0.4, 0.5, 0.7, 1.0, 0.1, 0.9};

    @Test
    void theStandardErrorOfAMeanDifferenceIsTheClosedForm() {
        // sd = sqrt(0.095 / 5), se = sd / sqrt(6)
        assertEquals(Math.sqrt(0.095 / 5) / Math.sqrt(6), PairedBootstrap.standardErrorOfMeanDifference(BEFORE, AFTER), 1e-12);
        assertEquals(0.0562731, PairedBootstrap.standardErrorOfMeanDifference(BEFORE, AFTER), 1e-7);
        assertEquals(0.0, PairedBootstrap.standardErrorOfMeanDifference(new double[] {1}, new double[] {3}), 0.0);
    }

    @Test
    void theBootstrapSpreadOfAMeanMatchesItsExactValue() {
        PairedBootstrap.Interval ci = PairedBootstrap.meanDifference(BEFORE, AFTER, 20000, 7);
        assertEquals(0.15, ci.estimate(), 1e-12);
        // Resampling n units with replacement: the mean's variance is the population variance / n,
        // sum(d - mean)^2 / n^2 = 0.095 / 36, i.e. sqrt(5/6) times the closed-form standard error.
        double exact = Math.sqrt(0.095 / 36);
        assertEquals(exact, ci.standardError(), 0.03 * exact);
        assertEquals(Math.sqrt(5.0 / 6) * PairedBootstrap.standardErrorOfMeanDifference(BEFORE, AFTER), exact, 1e-12);
        // the 95% interval is about 2 standard errors either side, inside the differences' own range
        assertTrue(ci.low() > 0.0 && ci.low() < 0.15 - 1.5 * exact, ci.toString());
        assertTrue(ci.high() < 0.3 && ci.high() > 0.15 + 1.5 * exact, ci.toString());
        assertFalse(ci.containsZero());
    }

    @Test
    void theSameSeedGivesTheSameIntervalAndAnotherSeedAnother() {
        PairedBootstrap.Interval a = PairedBootstrap.meanDifference(BEFORE, AFTER, 500, 3);
        assertEquals(a, PairedBootstrap.meanDifference(BEFORE, AFTER, 500, 3));
        assertNotEquals(a, PairedBootstrap.meanDifference(BEFORE, AFTER, 500, 4));
    }

    @Test
    void noChangeOnAnyUnitIsAZeroWidthIntervalAtZero() {
        PairedBootstrap.Interval ci = PairedBootstrap.meanDifference(BEFORE, BEFORE, 200, 1);
        assertEquals(new PairedBootstrap.Interval(0, 0, 0, 0), ci);
        assertTrue(ci.containsZero());
        // a change that is positive on some units and negative on others straddles zero
        assertTrue(PairedBootstrap.meanDifference(new double[] {0, 0, 0, 0}, new double[] {1, -1, 1, -1}, 2000, 1)
                .containsZero());
    }

    @Test
    void anyStatisticOfTheUnitsCanBeResampled() {
        // the largest difference: its resamples can only take the values present
        double[] d = {0.2, 0.0, 0.3, 0.1, 0.0, 0.3};
        PairedBootstrap.Interval max = PairedBootstrap.of(d.length, idx -> {
            double m = Double.NEGATIVE_INFINITY;
            for (int i : idx) {
                m = Math.max(m, d[i]);
            }
            return m;
        }, 1000, 5);
        assertEquals(0.3, max.estimate(), 0.0);
        assertEquals(0.3, max.high(), 0.0);
        assertTrue(max.low() >= 0.1 && max.low() <= 0.3, max.toString());
    }

    @Test
    void percentilesInterpolateBetweenOrderStatistics() {
        double[] sorted = {1, 2, 3, 4, 5};
        assertEquals(2.0, PairedBootstrap.percentile(sorted, 0.25), 1e-12);
        assertEquals(1.4, PairedBootstrap.percentile(sorted, 0.1), 1e-12);
        assertEquals(5.0, PairedBootstrap.percentile(sorted, 1.0), 1e-12);
    }

    @Test
    void unpairedValuesAreRejected() {
        assertEquals("paired values need the same non-zero count, got 2 before and 3 after",
                assertThrows(IllegalArgumentException.class,
                        () -> PairedBootstrap.meanDifference(new double[2], new double[3], 10, 1)).getMessage());
    }
}
