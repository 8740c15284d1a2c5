package io.diffrl4j.methods.dancegrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.advantage.WeightedAdvantageSum;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recipe holds the DanceGRPO FLUX script's settings. */
class DanceGrpoTest {
    @Test
    void theRecipeIsTheScriptsSettingsOnFlowGrpo() {
        Method m = DanceGrpo.method();
        assertEquals("dance-grpo", m.name());
        assertTrue(m.regularizers().isEmpty(), "no KL");
        assertTrue(m.schedules().isEmpty(), "no EMA");
        FlowGrpoObjective objective = assertInstanceOf(FlowGrpoObjective.class, m.objective());
        assertEquals(1e-4, objective.clipRange());
        assertEquals(0.6, objective.stepFraction(), "--timestep_fraction 0.6");
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, m.sampler());
        assertEquals(16, sampler.schedule().steps());
        assertEquals(3.0, sampler.schedule().shift());
        FlowGrpoSdeStep step = assertInstanceOf(FlowGrpoSdeStep.class, sampler.stochasticStep());
        assertTrue(step.isConstantNoise());
        assertEquals(0.3, step.stdDev(sampler.schedule(), 0), "--eta 0.3 at the first step");
        assertEquals(0.3, step.stdDev(sampler.schedule(), 14), "and at the last trained one");
        assertTrue(sampler.window().sharesPrefix(), "--init_same_noise");
        GroupRelativeAdvantage a = assertInstanceOf(GroupRelativeAdvantage.class, m.advantages());
        assertTrue(a.unbiasedStd(), "torch's std");
        assertEquals(1e-8, a.eps());
        // Group 1 (0, 1): mean 0.5, unbiased std sqrt(0.5) -> +-0.7071; group 2 (0, 10) the same after its scale.
        double[] adv = a.estimate(batch(Map.of("r", new double[] {0, 1, 0, 10})));
        assertEquals(Math.sqrt(0.5), adv[1], 1e-6);
        assertEquals(adv[1], adv[3], 1e-6, "each group divided by its own std");
    }

    @Test
    void severalRewardsAreNormalisedAloneAndSummed() {
        Map<String, Double> weights = new LinkedHashMap<>();
        weights.put("hps", 1.0);
        weights.put("clip", 0.5);
        Method m = DanceGrpo.withRewards(DanceGrpo.method(), weights);
        WeightedAdvantageSum sum = assertInstanceOf(WeightedAdvantageSum.class, m.advantages());
        assertEquals(weights, sum.weights());
        Map<String, double[]> scores = new LinkedHashMap<>();
        scores.put("hps", new double[] {0.2, 0.3});
        scores.put("clip", new double[] {30, 10});
        // hps: -+sqrt(0.5); clip (30, 10): +-sqrt(0.5); 1 x hps + 0.5 x clip.
        double[] adv = sum.estimate(batch(scores));
        assertEquals(-Math.sqrt(0.5) + 0.5 * Math.sqrt(0.5), adv[0], 1e-6);
        assertEquals(Math.sqrt(0.5) - 0.5 * Math.sqrt(0.5), adv[1], 1e-6);
    }

    private static RewardBatch batch(Map<String, double[]> scores) {
        int n = scores.values().iterator().next().length;
        String proxy = scores.keySet().iterator().next();
        return new RewardBatch(proxy, scores, null, Collections.nCopies(n, Prompt.of("p")), 2);
    }
}
