package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The words a run's summary gets about its learning signal. */
class LearningSignalTest {

    @Test
    void mediansAndMeansIgnoreMissingEpochs() {
        assertEquals(2.0, LearningSignal.median(new double[] {3, Double.NaN, 1, 2}), 0);
        assertEquals(2.5, LearningSignal.median(new double[] {4, 1, 2, 3}), 0);
        assertTrue(Double.isNaN(LearningSignal.median(new double[] {Double.NaN})));
        assertTrue(Double.isNaN(LearningSignal.median(null)));
        // mean 0.02; sample SD of {0.01, 0.02, 0.03} is 0.01, over sqrt(3): 0.005773502691896258
        assertArrayEquals(new double[] {0.02, 0.005773502691896258},
                LearningSignal.meanAndError(new double[] {Double.NaN, 0.01, 0.02, 0.03}), 1e-15);
        assertTrue(Double.isNaN(LearningSignal.meanAndError(new double[] {0.1, 0.2})[1]));
    }

    /**
     * A flat proxy: windows of 2 epochs, {0.5, 0.6} against {0.6, 0.5}: change 0; each window's
     * sample SD 0.1 / sqrt(2), its mean's standard error 0.05, the difference's 0.05 sqrt(2).
     */
    private static final double[] FLAT = {0.5, 0.6, 0.55, 0.55, 0.6, 0.5};
    /** A rising proxy: {0.40, 0.42} against {0.60, 0.62}: +0.2, standard error 0.01 sqrt(2). */
    private static final double[] RISING = {0.40, 0.42, 0.5, 0.5, 0.60, 0.62};

    @Test
    void windowsOfTheTrainingProxy() {
        assertArrayEquals(new double[] {0.0, 0.05 * Math.sqrt(2)}, LearningSignal.windowChange(FLAT), 1e-12);
        assertArrayEquals(new double[] {0.2, 0.01 * Math.sqrt(2)}, LearningSignal.windowChange(RISING), 1e-12);
        assertTrue(Double.isNaN(LearningSignal.windowChange(new double[] {1, 2, 3, 4, 5})[0]), "too few epochs");
    }

    @Test
    void noDirectionAndAFlatProxyAndTiedGroupsAreWarnedAbout() {
        Map<String, double[]> weak = Map.of(
                "terms_per_step", new double[] {64, 64, 64},
                "grad_snr", new double[] {1.1, 1.3, 0.9},
                "grad_consistency", new double[] {Double.NaN, 0.01, -0.01, 0.003},
                "advantage/zero_fraction", new double[] {0.75, 0.5, 0.6},
                "clip_fraction", new double[] {0.01, 0.02, 0.03},
                "reward/r/mean", FLAT);
        String text = LearningSignal.describe(weak, "reward/r/mean");
        assertTrue(text.startsWith("Learning signal (medians over epochs; the cosine as mean ± standard error): 64 training "
                + "terms (images x trained steps) per optimizer step, a per-step gradient signal-to-noise ratio of 1.10 (1 "
                + "when a step's mean gradient is all noise), a cosine of 0.001 ± 0.006 between successive steps' gradients "
                + "(0 for a random walk), 60% of samples with zero advantage, clip fraction 0.020."), text);
        List<String> warnings = LearningSignal.warnings(weak, "reward/r/mean");
        assertEquals(2, warnings.size());
        assertTrue(warnings.get(0).startsWith("**Warning: training shows no sign of learning.** Successive optimizer "
                + "steps' gradients agree no more than chance (cosine 0.001 ± 0.006) and the training proxy did not rise "
                + "beyond its noise (+0.00 ± 0.071, last window against first)."), warnings.get(0));
        assertTrue(warnings.get(1).contains("60% of the samples had zero advantage"), warnings.get(1));
    }

    @Test
    void eitherADirectionOrARisingProxyIsEnoughToStaySilent() {
        // Successive steps agree (mean 0.05, standard error 0.01 / sqrt(3)) although the proxy is flat.
        Map<String, double[]> direction = Map.of("grad_snr", new double[] {0.98, 1.0, 1.02}, "grad_consistency",
                new double[] {0.04, 0.05, 0.06}, "advantage/zero_fraction", new double[] {0, 0.5, 0.1}, "p", FLAT);
        assertTrue(LearningSignal.warnings(direction, "p").isEmpty());
        // No direction visible per step, but the proxy rose: what a learning Flow-GRPO run measured.
        Map<String, double[]> rising = Map.of("grad_consistency", new double[] {0.01, -0.01, 0.003}, "p", RISING);
        assertTrue(LearningSignal.warnings(rising, "p").isEmpty());
        // Without the proxy column nothing is claimed.
        assertTrue(LearningSignal.warnings(rising, "absent").isEmpty());
        assertEquals("", LearningSignal.describe(Map.of(), "p"));
    }
}
