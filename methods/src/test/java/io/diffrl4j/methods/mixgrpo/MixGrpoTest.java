package io.diffrl4j.methods.mixgrpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/** The recipe holds the MixGRPO script's settings, and its sampler moves with the epoch. */
class MixGrpoTest {
    @Test
    void theRecipeIsTheScriptsSlidingWindowOnFlowGrpo() {
        Method m = MixGrpo.method();
        assertEquals("mix-grpo", m.name());
        assertTrue(m.regularizers().isEmpty(), "kl_coeff 0");
        assertEquals(1e-4, ((FlowGrpoObjective) m.objective()).clipRange());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, m.sampler());
        assertEquals(25, sampler.schedule().steps());
        assertEquals(3.0, sampler.schedule().shift());
        assertEquals(0.7, ((FlowGrpoSdeStep) sampler.stochasticStep()).noiseLevel());
        assertTrue(sampler.window().sharesPrefix(), "--init_same_noise");
        TrajectorySampler epoch60 = (TrajectorySampler) m.sampler().atEpoch(60);
        assertTrue(epoch60.window().toString().contains("lo=2, hi=6"), epoch60.window().toString());
        assertArrayEquals(new int[] {2, 6}, MixGrpo.window().range(60, 25), "window 4 moved by 1 every 25 epochs");
        double[] a = m.advantages().estimate(new io.diffrl4j.core.reward.RewardBatch("r", java.util.Map.of("r",
                new double[] {0, 1, 0, 10}), null, java.util.Collections.nCopies(4, io.diffrl4j.core.reward.Prompt.of("p")), 2));
        assertEquals(a[1], a[3], 1e-3, "each group divided by its own std");
    }
}
