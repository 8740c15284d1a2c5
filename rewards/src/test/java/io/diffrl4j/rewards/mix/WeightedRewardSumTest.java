package io.diffrl4j.rewards.mix;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.testing.TestRewards;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class WeightedRewardSumTest {
    @Test
    void theSumWeighsRawScores() throws Exception {
        WeightedRewardSum sum = WeightedRewardSum.builder().add(TestRewards.fixed("ocr", 1, 2), 1.0).add(TestRewards.fixed("pickscore", 4, 6), 0.5)
                .build();
        assertArrayEquals(new double[] {3, 5}, sum.combine(List.of(new double[] {1, 2}, new double[] {4, 6})), 0);
        ImageBatch two = new ImageBatch(new float[2], 2, 1, 1, 1);
        assertArrayEquals(new double[] {3, 5}, sum.score(two, List.of(Prompt.of("a"), Prompt.of("b"))), 0);
        assertEquals("weighted_sum", sum.name());
        assertEquals(Map.of("ocr", 1.0, "pickscore", 0.5), sum.weights());
        assertEquals(List.of("ocr", "pickscore"), sum.parts().stream().map(RewardFunction::name).toList());
        // one config, both mixing modes: the advantage sum takes the same names, weights and order
        assertEquals(List.of("ocr", "pickscore"), List.copyOf(sum.advantages().weights().keySet()));
        assertEquals(sum.weights(), sum.advantages().weights());
    }

    @Test
    void badMixesAreRefusedWithTheirReason() {
        assertEquals("a weighted reward sum needs at least one part",
                assertThrows(IllegalArgumentException.class, () -> WeightedRewardSum.builder().build()).getMessage());
        assertEquals("weight of 'ocr' must be finite and non-zero, got 0.0", assertThrows(IllegalArgumentException.class,
                () -> WeightedRewardSum.builder().add(TestRewards.fixed("ocr"), 0).build()).getMessage());
        assertEquals("weight of 'ocr' must be finite and non-zero, got NaN", assertThrows(IllegalArgumentException.class,
                () -> WeightedRewardSum.builder().add(TestRewards.fixed("ocr"), Double.NaN).build()).getMessage());
        assertEquals("two parts are named 'ocr'", assertThrows(IllegalArgumentException.class,
                () -> WeightedRewardSum.builder().add(TestRewards.fixed("ocr"), 1).add(TestRewards.fixed("ocr"), 2).build()).getMessage());
        assertEquals("the sum and its part share the name 'ocr'; choose another with optName", assertThrows(
                IllegalArgumentException.class, () -> WeightedRewardSum.builder().optName("ocr").add(TestRewards.fixed("ocr"), 1).build())
                .getMessage());
    }
}
