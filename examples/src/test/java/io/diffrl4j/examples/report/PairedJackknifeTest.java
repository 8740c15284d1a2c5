package io.diffrl4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class PairedJackknifeTest {
    @Test
    void forAMeanTheJackknifeStandardErrorIsTheClosedForm() {
        double[] before = {0.2, 0.5, 0.4, 0.9, 0.1, 0.6};
        double[] after = {0.4, 0.5, 0.7, 1.0, 0.1, 0.9};
        PairedBootstrap.Interval ci = PairedJackknife.of(before.length, idx -> {
            double s = 0;
            for (int i : idx) {
                s += after[i] - before[i];
            }
            return s / idx.length;
        });
        double se = PairedBootstrap.standardErrorOfMeanDifference(before, after);
        assertEquals(0.15, ci.estimate(), 1e-12);
        assertEquals(se, ci.standardError(), 1e-12);
        assertEquals(0.15 - 1.959963984540054 * se, ci.low(), 1e-12);
        assertEquals(0.15 + 1.959963984540054 * se, ci.high(), 1e-12);
        assertFalse(ci.containsZero());
        assertThrows(IllegalArgumentException.class, () -> PairedJackknife.of(1, idx -> 0));
    }
}
