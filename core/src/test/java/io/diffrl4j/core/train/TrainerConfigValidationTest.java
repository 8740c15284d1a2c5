package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.function.UnaryOperator;
import org.junit.jupiter.api.Test;

/** Obviously wrong settings are refused when the config is built, naming the field and the value. */
class TrainerConfigValidationTest {
    private static String refusal(UnaryOperator<TrainerConfig.Builder> setting) {
        return assertThrows(IllegalArgumentException.class, () -> setting.apply(TrainerConfig.builder()).build())
                .getMessage();
    }

    @Test
    void adamWSettingsMustBeFiniteAndInRange() {
        assertEquals("learningRate must be finite and > 0, got Infinity", refusal(b -> b.optLearningRate(Double.POSITIVE_INFINITY)));
        assertEquals("learningRate must be finite and > 0, got NaN", refusal(b -> b.optLearningRate(Double.NaN)));
        assertEquals("learningRate must be finite and > 0, got 0.0", refusal(b -> b.optLearningRate(0)));
        assertEquals("weightDecay must be finite and >= 0, got Infinity", refusal(b -> b.optWeightDecay(Double.POSITIVE_INFINITY)));
        assertEquals("weightDecay must be finite and >= 0, got -0.01", refusal(b -> b.optWeightDecay(-0.01)));
        assertEquals("weightDecay must be finite and >= 0, got NaN", refusal(b -> b.optWeightDecay(Double.NaN)));
        assertEquals("gradClip must be finite and > 0, or 0 to disable clipping, got Infinity",
                refusal(b -> b.optGradClip(Double.POSITIVE_INFINITY)));
        assertEquals("gradClip must be finite and > 0, or 0 to disable clipping, got -1.0", refusal(b -> b.optGradClip(-1)));
        assertEquals("gradClip must be finite and > 0, or 0 to disable clipping, got NaN", refusal(b -> b.optGradClip(Double.NaN)));
        assertEquals("adamEpsilon must be finite and > 0, got 0.0", refusal(b -> b.optAdamEpsilon(0)));
        assertEquals("adamEpsilon must be finite and > 0, got Infinity", refusal(b -> b.optAdamEpsilon(Double.POSITIVE_INFINITY)));
        assertEquals("beta1 must be in [0, 1), got 1.0", refusal(b -> b.optBetas(1, 0.999)));
        assertEquals("beta2 must be in [0, 1), got -0.5", refusal(b -> b.optBetas(0.9, -0.5)));
        assertEquals("beta2 must be in [0, 1), got NaN", refusal(b -> b.optBetas(0.9, Double.NaN)));
    }

    @Test
    void anEpochBeyondMemoryIsRefused() {
        assertEquals("promptsPerEpoch 48 x groupSize 1000000 = 48000000 images per epoch exceeds 1048576: "
                + "an epoch keeps all its rollouts in memory until its update", refusal(b -> b.optGroupSize(1_000_000)));
        assertEquals("promptsPerEpoch 2147483647 x groupSize 24 = 51539607528 images per epoch exceeds 1048576: "
                + "an epoch keeps all its rollouts in memory until its update",
                refusal(b -> b.optPromptsPerEpoch(Integer.MAX_VALUE).optPromptsPerSamplingBatch(1)));
    }

    @Test
    void sensibleEdgesAreAccepted() {
        TrainerConfig c = TrainerConfig.builder().optGradClip(0).optWeightDecay(0).optBetas(0, 0).optLearningRate(1e300).build();
        assertEquals(0, c.gradClip());
        assertEquals(1e300, c.learningRate());
    }
}
