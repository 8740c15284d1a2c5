package io.diffrl4j.core.advantage;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedAdvantageSumTest {
    private static final double EPS = 1e-4;

    /** Two groups of two: ocr [1, 3 | 0, 0], pickscore [10, 20 | 5, 15], proxy = their raw sum. */
    private static RewardBatch table() {
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("mix", new double[] {6, 13, 2.5, 7.5});
        scores.put("ocr", new double[] {1, 3, 0, 0});
        scores.put("pickscore", new double[] {10, 20, 5, 15});
        return new RewardBatch("mix", List.of("ocr", "pickscore"), scores, null,
                List.of(Prompt.of("a"), Prompt.of("a"), Prompt.of("b"), Prompt.of("b")), 2);
    }

    @Test
    void eachRewardIsNormalisedWithinItsGroupBeforeTheWeightedSum() {
        Map<String, Double> w = new LinkedHashMap<>();
        w.put("ocr", 1.0);
        w.put("pickscore", 0.5);
        double[] a = new WeightedAdvantageSum(w).estimate(table());
        // ocr: group 1 mean 2, std 1; group 2 constant, so 0. pickscore: both groups std 5.
        double ocr = 1 / (1 + EPS);
        double pick = 5 / (5 + EPS);
        assertArrayEquals(new double[] {-ocr - 0.5 * pick, ocr + 0.5 * pick, -0.5 * pick, 0.5 * pick}, a, 1e-12);
    }

    @Test
    void aRawSumWouldLetTheLargerScaleDominate() {
        // The same table through the raw weighted sum: group 2 gets the full advantage from pickscore alone,
        // the contrast the advantage sum avoids (there it is half of group 1's).
        double[] raw = new GroupRelativeAdvantage(false, 5).estimate(table());
        assertEquals(raw[1], raw[3], 1e-3);
        Map<String, Double> weights = new LinkedHashMap<>();
        weights.put("ocr", 1.0);
        weights.put("pickscore", 0.5);
        double[] mixed = new WeightedAdvantageSum(weights).estimate(table());
        assertEquals(3.0, mixed[1] / mixed[3], 1e-3);
    }

    @Test
    void aRewardThatWasNotScoredIsNamed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new WeightedAdvantageSum(Map.of("aesthetic", 1.0)).estimate(table()));
        assertEquals("the advantage mixes reward 'aesthetic', which was not scored; the trainer scored [mix, ocr, pickscore]",
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new WeightedAdvantageSum(Map.of()));
        assertThrows(IllegalArgumentException.class, () -> new WeightedAdvantageSum(Map.of("ocr", Double.POSITIVE_INFINITY)));
    }
}
