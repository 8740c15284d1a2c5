package io.diffrl4j.regularizers.crd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class RewardAdaptiveKlStrengthTest {
    private static final float[] ADVANTAGES = {-5f, -2.5f, 0f, 1f, 4f, 5f, 7.5f, -9f};
    /** The epoch's raw proxy rewards (3 prompts x 4 images); the micro-batch holds prompts 1 and 2. */
    private static final double[] RAW = {0.9, 0.9, 0.9, 0.9, 0.1, 0.3, 0.2, 0.4, 0.5, 0.7, 0.6, 0.8};

    private static MicroBatch batch(NDManager m, boolean withRewards) {
        List<Prompt> prompts = new ArrayList<>();
        for (String p : new String[] {"a", "b", "c"}) {
            prompts.addAll(Collections.nCopies(4, Prompt.of(p)));
        }
        RewardBatch rewards = withRewards ? new RewardBatch("ocr", Map.of("ocr", RAW), null, prompts, 4) : null;
        return new MicroBatch(m, new MicroBatch.Place(new int[] {4, 5, 6, 7, 8, 9, 10, 11}, 4),
                new MicroBatch.Drawn(m.zeros(new Shape(8, 2)), List.of(), Conditioning.none(8), Conditioning.none(8), null),
                new MicroBatch.Scored(m.create(ADVANTAGES), rewards), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(1)));
    }

    @Test
    void perSampleCoefficientsFollowTheNormalisedReward() {
        try (NDManager m = NDManager.newBaseManager()) {
            float[] got = RewardAdaptiveKlStrength.perSample(0.1, 1e-4).coefficients(batch(m, false)).toFloatArray();
            float[] want = new float[ADVANTAGES.length];
            for (int i = 0; i < want.length; i++) {
                double r = Math.max(0, Math.min(1, ADVANTAGES[i] / 5.0 / 2 + 0.5));
                want[i] = (float) (1e-4 + (0.1 - 1e-4) * r);
            }
            assertArrayEquals(want, got, 1e-7f);
            // The ends: r~ = 0 gives the floor, r~ = 1 gives kl_beta.
            assertEquals(1e-4f, got[0], 1e-9f);
            assertEquals(0.1f, got[5], 1e-8f);
            assertEquals((float) (1e-4 + (0.1 - 1e-4) * 0.5), got[2], 1e-8f);
        }
    }

    @Test
    void perBatchCoefficientComesFromTheMeanRawRewardOfTheRows() {
        try (NDManager m = NDManager.newBaseManager()) {
            RewardAdaptiveKlStrength s = RewardAdaptiveKlStrength.perBatch(0.1, 1e-4);
            MicroBatch mb = batch(m, true);
            double mean = (0.1 + 0.3 + 0.2 + 0.4 + 0.5 + 0.7 + 0.6 + 0.8) / 8; // 0.45: prompt "a" is not in the batch
            assertEquals(mean, RewardAdaptiveKlStrength.meanRawReward(mb), 1e-12);
            assertEquals(0, s.coefficients(mb).getShape().dimension(), "one scalar for the micro-batch");
            assertEquals(1e-4 + (0.1 - 1e-4) * mean, s.coefficients(mb).getFloat(), 1e-8);
            assertFalse(s.isPerSample());
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.coefficients(batch(m, false)));
            assertTrue(e.getMessage().contains("raw proxy reward"), e.getMessage());
        }
    }

    @Test
    void modesBuildTheirStrategies() {
        try (NDManager m = NDManager.newBaseManager()) {
            KlStrength perSample = KlStrengthMode.PER_SAMPLE.create(0.1, 1e-4);
            assertInstanceOf(RewardAdaptiveKlStrength.class, perSample);
            assertTrue(((RewardAdaptiveKlStrength) perSample).isPerSample());
            KlStrength perBatch = KlStrengthMode.PER_BATCH.create(0.1, 1e-4);
            assertFalse(((RewardAdaptiveKlStrength) perBatch).isPerSample());
            assertEquals(0.1f, KlStrengthMode.CONSTANT.create(0.1, 1e-4).coefficients(batch(m, false)).getFloat(), 1e-9f);
        }
    }

    @Test
    void rejectsBadCoefficients() {
        assertThrows(IllegalArgumentException.class, () -> RewardAdaptiveKlStrength.perSample(-0.1, 0));
        assertThrows(IllegalArgumentException.class, () -> RewardAdaptiveKlStrength.perSample(0.1, 0.2));
        assertThrows(IllegalArgumentException.class, () -> RewardAdaptiveKlStrength.perBatch(0.1, -1e-4));
        assertThrows(IllegalArgumentException.class, () -> RewardAdaptiveKlStrength.perBatch(Double.NaN, 0));
        RewardAdaptiveKlStrength s = RewardAdaptiveKlStrength.perSample(0.1, 1e-4);
        assertEquals(0.1, s.beta());
        assertEquals(1e-4, s.floor());
    }
}
