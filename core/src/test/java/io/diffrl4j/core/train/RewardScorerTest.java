package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.CompositeReward;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.testing.TestRewards;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class RewardScorerTest {
    /** Scores image i of a batch as base + its first pixel, counting its calls. */
    private record Pixel(String name, double base, AtomicInteger calls) implements RewardFunction {
        Pixel(String name, double base) {
            this(name, base, new AtomicInteger());
        }

        @Override
        public double[] score(ImageBatch images, List<Prompt> prompts) {
            calls.incrementAndGet();
            double[] s = new double[images.count()];
            for (int i = 0; i < s.length; i++) {
                s[i] = base + images.image(i)[0];
            }
            return s;
        }
    }

    /** 2 * first + 1 * second. */
    private record Sum(String name, List<RewardFunction> parts) implements CompositeReward {
        @Override
        public double[] combine(List<double[]> partScores) {
            double[] out = new double[partScores.get(0).length];
            for (int i = 0; i < out.length; i++) {
                out[i] = 2 * partScores.get(0)[i] + partScores.get(1)[i];
            }
            return out;
        }
    }

    private static final List<Prompt> PROMPTS = List.of(Prompt.of("a"), Prompt.of("a"), Prompt.of("b"), Prompt.of("b"));

    private static ImageBatch images() {
        return new ImageBatch(new float[] {0.1f, 0.2f, 0.3f, 0.4f}, 4, 1, 1, 1);
    }

    private static RewardBatch scoreOnce(RewardFunction proxy, List<RewardFunction> aux) {
        try (RewardScorer s = new RewardScorer(proxy, aux, null, 1, Duration.ofSeconds(10))) {
            s.submit(images(), PROMPTS);
            return s.collect(2);
        }
    }

    @Test
    void aCompositeProxyScoresEachPartOnceAndKeepsThemApartFromTheAuxiliaries() {
        Pixel a = new Pixel("a", 1);
        Pixel b = new Pixel("b", 10);
        RewardBatch r = scoreOnce(new Sum("mix", List.of(a, b)), List.of(new Pixel("aux", 0)));
        assertEquals(1, a.calls().get());
        assertEquals(1, b.calls().get());
        assertArrayEquals(new double[] {1.1, 1.2, 1.3, 1.4}, r.get("a"), 1e-6);
        assertArrayEquals(new double[] {2 * 1.1 + 10.1, 2 * 1.2 + 10.2, 2 * 1.3 + 10.3, 2 * 1.4 + 10.4}, r.proxy(), 1e-6);
        assertEquals("mix", r.proxyName());
        assertEquals(List.of("a", "b"), r.proxyParts());
        assertEquals(List.of("aux"), r.auxiliaryNames());
    }

    @Test
    void aFailingPartIsNamedWithItsComposite() {
        RewardFunction broken = TestRewards.of("ocr", i -> {
            throw new IllegalStateException("engine gone");
        });
        RewardException e = assertThrows(RewardException.class,
                () -> scoreOnce(new Sum("mix", List.of(new Pixel("a", 0), broken)), List.of()));
        assertTrue(e.getMessage().contains("reward 'ocr' (part of 'mix') failed") && e.getMessage().contains("engine gone"),
                e.getMessage());
    }

    @Test
    void aPartWithTheWrongCountOrNaNIsNamed() {
        RewardException count = assertThrows(RewardException.class,
                () -> scoreOnce(new Sum("mix", List.of(new Pixel("a", 0), TestRewards.of("short", i -> new double[3]))), List.of()));
        assertEquals("reward 'short' (part of 'mix') returned 3 scores for 4 images", count.getMessage());
        RewardException e = assertThrows(RewardException.class,
                () -> scoreOnce(new Sum("mix", List.of(new Pixel("nan", Double.NaN), new Pixel("a", 0))), List.of()));
        assertTrue(e.getMessage().startsWith("reward 'nan' returned NaN for image 0"), e.getMessage());
    }

    @Test
    void twoRewardsUnderOneNameAreRefused() {
        RewardException e = assertThrows(RewardException.class,
                () -> scoreOnce(new Sum("mix", List.of(new Pixel("a", 0), new Pixel("b", 0))), List.of(new Pixel("a", 1))));
        assertEquals("two rewards are named 'a': give each reward a distinct name", e.getMessage());
    }

    @Test
    void aBatchRefusesAPartWithoutScores() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new RewardBatch("mix", List.of("x"),
                java.util.Map.of("mix", new double[] {1, 2}), null, List.of(Prompt.of("a"), Prompt.of("a")), 2));
        assertTrue(e.getMessage().startsWith("the proxy's part 'x' has no scores of its own"), e.getMessage());
    }
}
