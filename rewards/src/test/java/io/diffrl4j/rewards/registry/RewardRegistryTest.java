package io.diffrl4j.rewards.registry;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.testing.TestRewards;
import io.diffrl4j.rewards.clip.AestheticReward;
import io.diffrl4j.rewards.clip.ClipFolders;
import io.diffrl4j.rewards.clip.ClipScoreReward;
import io.diffrl4j.rewards.clip.PickScoreReward;
import io.diffrl4j.rewards.geneval.GenEvalClient;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import io.diffrl4j.rewards.mix.WeightedRewardSum;
import io.diffrl4j.rewards.vlm.VlmJudgeReward;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RewardRegistryTest {
    @Test
    void specsParseNameArgumentAndWeight() {
        assertEquals(new RewardSpec("ocr", Optional.empty(), 1), RewardSpec.parse("ocr"));
        assertEquals(new RewardSpec("jpeg", Optional.empty(), 0.2), RewardSpec.parse("jpeg*0.2"));
        assertEquals(new RewardSpec("geneval", Optional.of("http://127.0.0.1:18085"), 0.5),
                RewardSpec.parse("geneval=http://127.0.0.1:18085*0.5"));
        assertEquals(List.of("ocr", "vlm"), RewardSpec.parseAll("ocr, vlm=http://h:1/v1").stream().map(RewardSpec::name).toList());
        assertEquals("reward spec 'jpeg*x': the weight after '*' is not a number: 'x'",
                assertThrows(IllegalArgumentException.class, () -> RewardSpec.parse("jpeg*x")).getMessage());
        assertEquals("reward spec 'ocr*0': the weight of reward 'ocr' must be finite and non-zero, got 0.0",
                assertThrows(IllegalArgumentException.class, () -> RewardSpec.parse("ocr*0")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RewardSpec.parseAll("ocr,,jpeg")).getMessage()
                .startsWith("empty reward spec"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> RewardSpec.parse("OCR")).getMessage()
                .contains("lower-case"));
    }

    @Test
    void theStandardNamesMakeTheirRewards() throws Exception {
        RewardRegistry r = RewardRegistry.standard();
        assertEquals(List.of("ocr", "geneval", "vlm", "jpeg", "clipscore", "pickscore", "aesthetic"), r.names());
        assertInstanceOf(JpegCompressibilityReward.class, r.create("jpeg"));
        assertInstanceOf(GenEvalClient.class, r.create("geneval=http://127.0.0.1:18085"));
        assertInstanceOf(VlmJudgeReward.class, r.create("vlm=http://127.0.0.1:8000/v1"));
        assertTrue(r.usage().contains("geneval=URL"));
    }

    @Test
    void theClipNamesLoadTheirFolders(@TempDir Path dir) throws Exception {
        RewardRegistry r = RewardRegistry.standard();
        try (NDManager m = NDManager.newBaseManager()) {
            Path clip = ClipFolders.clip(dir.resolve("clip"), m, 1);
            Path aesthetic = ClipFolders.aesthetic(dir.resolve("aesthetic"), m, 2, 6);
            Map<String, Class<?>> made = Map.of("clipscore=" + clip, ClipScoreReward.class, "pickscore=" + clip,
                    PickScoreReward.class, "aesthetic=" + aesthetic, AestheticReward.class);
            for (Map.Entry<String, Class<?>> e : made.entrySet()) {
                try (Closeable reward = (Closeable) r.create(e.getKey())) {
                    assertInstanceOf(e.getValue(), reward, e.getKey());
                }
            }
        }
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.create("aesthetic")).getMessage()
                .startsWith("reward 'aesthetic' needs an argument: aesthetic=DIR"));
    }

    /** A reward that records being closed. */
    private static final class ClosingReward implements RewardFunction, Closeable {
        private final String name;
        boolean closed;

        ClosingReward(String name) {
            this.name = name;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public double[] score(ImageBatch images, List<Prompt> prompts) {
            return new double[images.count()];
        }

        @Override
        public void close() {
            closed = true;
        }
    }

    @Test
    void aFactoryFailureIsWrappedWithItsSpecAndClosesWhatWasMade() {
        ClosingReward first = new ClosingReward("a");
        RewardRegistry r = RewardRegistry.empty().with("a", RewardRegistry.Argument.NONE, "a", x -> first)
                .with("b", RewardRegistry.Argument.REQUIRED, "b=DIR", x -> {
                    throw new Exception("no weights in " + x);
                });
        IOException e = assertThrows(IOException.class, () -> r.create("a,b=/models/b"));
        assertEquals("cannot make the reward 'b=/models/b': no weights in /models/b", e.getMessage());
        assertTrue(first.closed);
    }

    @Test
    void closingAWeightedSumClosesEachPart() throws Exception {
        ClosingReward a = new ClosingReward("a");
        ClosingReward b = new ClosingReward("b");
        RewardRegistry r = RewardRegistry.empty().with("a", RewardRegistry.Argument.NONE, "a", x -> a)
                .with("b", RewardRegistry.Argument.NONE, "b", x -> b);
        RewardFunction sum = r.create("a*0.5,b");
        assertInstanceOf(WeightedRewardSum.class, sum);
        RewardRegistry.close(sum);
        assertTrue(a.closed);
        assertTrue(b.closed);
        RewardRegistry.close(TestRewards.fixed("plain", 1)); // holds nothing: a no-op
    }

    @Test
    void severalSpecsOrAWeightMakeAWeightedSum() throws Exception {
        RewardRegistry r = RewardRegistry.empty().with("a", RewardRegistry.Argument.NONE, "a", x -> TestRewards.fixed("a", 2))
                .with("b", RewardRegistry.Argument.OPTIONAL, "b[=X]", x -> TestRewards.fixed("b", x == null ? 10 : 20));
        WeightedRewardSum sum = assertInstanceOf(WeightedRewardSum.class, r.create("a=1.5,b=folder*0.5"));
        assertEquals(Map.of("a", 1.5, "b", 0.5), sum.weights());
        ImageBatch one = new ImageBatch(new float[1], 1, 1, 1, 1);
        assertEquals(2 * 1.5 + 20 * 0.5, sum.score(one, List.of(Prompt.of("p")))[0], 0);
        assertEquals(Map.of("a", 3.0), ((WeightedRewardSum) r.create("a*3")).weights());
        assertEquals(Map.of("b", 0.25), ((WeightedRewardSum) r.create("b=0.25")).weights());
    }

    @Test
    void mistakesAreNamed() {
        RewardRegistry r = RewardRegistry.standard();
        assertEquals("unknown reward 'clip'; known: ocr, geneval, vlm, jpeg, clipscore, pickscore, aesthetic",
                assertThrows(IllegalArgumentException.class, () -> r.create("clip")).getMessage());
        assertEquals("reward 'jpeg' takes no argument, got 'x'",
                assertThrows(IllegalArgumentException.class, () -> r.create("jpeg=x")).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> r.create("geneval")).getMessage()
                .startsWith("reward 'geneval' needs an argument: geneval=URL"));
    }
}
