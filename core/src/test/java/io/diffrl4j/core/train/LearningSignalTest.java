package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The words a run's summary gets about its learning signal. */
class LearningSignalTest {

    @Test
    void mediansIgnoreMissingEpochs() {
        assertEquals(2.0, LearningSignal.median(new double[] {3, Double.NaN, 1, 2}), 0);
        assertEquals(2.5, LearningSignal.median(new double[] {4, 1, 2, 3}), 0);
        assertTrue(Double.isNaN(LearningSignal.median(new double[] {Double.NaN})));
        assertTrue(Double.isNaN(LearningSignal.median(null)));
    }

    @Test
    void aWeakGradientAndTiedGroupsAreWarnedAbout() {
        Map<String, double[]> weak = Map.of(
                "terms_per_step", new double[] {64, 64, 64},
                "grad_snr", new double[] {1.1, 1.3, 0.9},
                "advantage/zero_fraction", new double[] {0.75, 0.5, 0.6},
                "clip_fraction", new double[] {0.01, 0.02, 0.03});
        String text = LearningSignal.describe(weak);
        assertTrue(text.startsWith("Learning signal (medians over epochs): 64 training terms (images x trained steps) per "
                + "optimizer step, gradient signal-to-noise ratio 1.10 (about 1 when a step is pure noise), 60% of samples "
                + "with zero advantage, clip fraction 0.020."), text);
        List<String> warnings = LearningSignal.warnings(weak);
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).contains("within 1.10 standard errors of zero"), warnings.get(0));
        assertTrue(warnings.get(1).contains("60% of the samples had zero advantage"), warnings.get(1));
    }

    @Test
    void aStrongSignalGetsNoWarning() {
        // sqrt(2) is the boundary: at 1.5 the signal power (1.5^2 - 1 = 1.25 noise units) exceeds the noise.
        Map<String, double[]> strong = Map.of("grad_snr", new double[] {1.5, 2, 3}, "advantage/zero_fraction",
                new double[] {0, 0.5, 0.1});
        assertTrue(LearningSignal.warnings(strong).isEmpty());
        assertEquals("Learning signal (medians over epochs): gradient signal-to-noise ratio 2.00 (about 1 when a step is "
                + "pure noise), 10% of samples with zero advantage.", LearningSignal.describe(strong));
        assertEquals("", LearningSignal.describe(Map.of()));
    }
}
