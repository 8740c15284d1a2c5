package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

/** The learning-rate schedules against their closed forms, and their place in the trainer's config. */
class LearningRateScheduleTest {
    @Test
    void constantIsOneAtEveryStep() {
        LearningRateSchedule c = LearningRateSchedule.constant();
        for (long n : new long[] {0, 1, 7, Long.MAX_VALUE}) {
            assertEquals(1.0, c.factor(n), 0.0);
        }
        assertEquals("constant", c.describe());
        assertSame(c, c.withWarmup(0));
    }

    @Test
    void cosineFallsFromOneToItsFloorAndStaysThere() {
        LearningRateSchedule c = LearningRateSchedule.cosine(4, 0.1);
        // floor + (1 - floor) (1 + cos(pi n / 4)) / 2, written out
        double[] want = {1.0, 0.1 + 0.9 * (1 + Math.sqrt(0.5)) / 2, 0.55, 0.1 + 0.9 * (1 - Math.sqrt(0.5)) / 2, 0.1, 0.1, 0.1};
        for (int n = 0; n < want.length; n++) {
            assertEquals(want[n], c.factor(n), 1e-15, "step " + n);
        }
        assertEquals("cosine(steps=4, floor=0.1)", c.describe());
        // The rule the Shapes reward model was trained with, bit for bit.
        LearningRateSchedule rewardModel = LearningRateSchedule.cosine(1000, 0.1);
        for (int step = 0; step < 1000; step++) {
            double progressFraction = step / (double) 1000;
            assertEquals(0.1 + 0.9 * 0.5 * (1 + Math.cos(Math.PI * progressFraction)), rewardModel.factor(step), 0.0);
        }
    }

    @Test
    void warmupRisesLinearlyThenHandsOverAtStepZeroOfTheRest() {
        LearningRateSchedule s = LearningRateSchedule.cosine(5, 0.0).withWarmup(3);
        assertEquals(1.0 / 3, s.factor(0), 1e-15);
        assertEquals(2.0 / 3, s.factor(1), 1e-15);
        assertEquals(1.0, s.factor(2), 1e-15);
        assertEquals(1.0, s.factor(3), 1e-15);
        assertEquals((1 + Math.cos(Math.PI * 2 / 5)) / 2, s.factor(5), 1e-15);
        assertEquals(0.0, s.factor(8), 1e-15);
        assertEquals(0.0, s.factor(100), 1e-15);
        assertEquals("warmup(3) then cosine(steps=5, floor=0.0)", s.describe());
        assertEquals(0.5, LearningRateSchedule.constant().withWarmup(2).factor(0), 0.0);
        assertEquals(1.0, LearningRateSchedule.constant().withWarmup(2).factor(2), 0.0);
    }

    @Test
    void badSettingsAreRefusedNamingThem() {
        assertEquals("a cosine schedule needs steps >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(0, 0.1)).getMessage());
        assertEquals("a cosine schedule's floor must be in [0, 1], got NaN",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.cosine(3, Double.NaN)).getMessage());
        assertEquals("warm-up steps must be >= 0, got -1",
                assertThrows(IllegalArgumentException.class, () -> LearningRateSchedule.constant().withWarmup(-1)).getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> TrainerConfig.builder().optLearningRateSchedule(null).build()).getMessage().startsWith("learningRateSchedule"));
    }

    @Test
    void theTrainerConfigAppliesItAndNamesItWhenItIsNotConstant() {
        TrainerConfig constant = TrainerConfig.builder().optLearningRate(2e-3).build();
        assertEquals(2e-3, constant.learningRateAt(12345), 0.0);
        assertFalse(constant.toJson().has("learning_rate_schedule"), "constant-rate configs read as before");
        TrainerConfig cosine = TrainerConfig.builder().optLearningRate(2e-3)
                .optLearningRateSchedule(LearningRateSchedule.cosine(10, 0.0).withWarmup(2)).build();
        assertEquals(1e-3, cosine.learningRateAt(0), 0.0);
        assertEquals(2e-3 * 0.5, cosine.learningRateAt(7), 1e-18);
        assertEquals("warmup(2) then cosine(steps=10, floor=0.0)", cosine.toJson().get("learning_rate_schedule").asText());
    }
}
