package io.diffrl4j.benchmarks.support;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class SummaryTest {
    @Test
    void quantilesInterpolateBetweenOrderStatistics() {
        Summary s = Summary.of(4, 1, 3, 2, 5);
        assertEquals(5, s.n());
        assertEquals(3, s.median());
        assertEquals(1, s.min());
        assertEquals(5, s.max());
        assertEquals(2, s.p25());
        assertEquals(4, s.p75());
        assertEquals(100.0 * 4 / 3, s.spreadPercent(), 1e-12);
    }

    @Test
    void evenCountTakesTheMiddleMean() {
        assertEquals(2.5, Summary.of(1, 2, 3, 4).median());
        assertEquals(1.75, Summary.of(1, 2, 3, 4).p25(), 1e-12);
    }

    @Test
    void emptyIsNaN() {
        assertTrue(Double.isNaN(Summary.of().median()));
    }
}
