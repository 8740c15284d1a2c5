package io.diffrl4j.methods.grpoguard;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.methods.gardo.Gardo;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The recipe holds config/grpo_guard.py's settings and composes with other methods' parts. */
class GrpoGuardTest {
    @Test
    void theRecipeIsFlowGrpoWithRatioNormATinyClipNoKlAndGroupStd() {
        Method m = GrpoGuard.method();
        assertEquals("grpo-guard", m.name());
        FlowGrpoObjective objective = assertInstanceOf(FlowGrpoObjective.class, m.objective());
        assertTrue(objective.ratioNorm());
        assertEquals(2e-6, objective.clipRange());
        assertTrue(m.regularizers().isEmpty(), "beta = 0");
        assertEquals(FlowGrpo.method().snapshots(), m.snapshots(), "the evaluation EMA, as train.ema = True");
        assertEquals(10, m.sampler().schedule().steps());
        // Per-group std: groups {0, 1} and {0, 10} both give +-1 (the batch std would shrink the first).
        double[] a = m.advantages().estimate(new RewardBatch("r", Map.of("r", new double[] {0, 1, 0, 10}), null,
                Collections.nCopies(4, Prompt.of("p")), 2));
        double[] expected = new GroupRelativeAdvantage(false, 5).estimate(new RewardBatch("r", Map.of("r",
                new double[] {0, 1, 0, 10}), null, Collections.nCopies(4, Prompt.of("p")), 2));
        for (int i = 0; i < 4; i++) {
            assertEquals(expected[i], a[i], 0.0);
        }
        assertEquals(-a[2], a[3], 1e-12);
        assertEquals(a[1], a[3], 1e-3, "each group normalised by its own std");
        // Flow-GRPO's former KL-in-reward on top keeps RatioNorm and the clip.
        FlowGrpoObjective withKl = (FlowGrpoObjective) FlowGrpo.withKlReward(m, 0.1).objective();
        assertTrue(withKl.ratioNorm());
        assertEquals(2e-6, withKl.clipRange());
        assertEquals(0.1, withKl.klReward());
    }

    @Test
    void itComposesWithGardosGate() {
        // GARDO's gated KL and adaptive reference on GRPO-Guard's objective: one line each.
        Method guarded = Gardo.on(GrpoGuard.method().withRegularizer(FlowGrpo.kl(0.04)), GatedKl.builder(),
                AdaptiveReference.flowGrpo());
        assertEquals("gardo-grpo-guard", guarded.name());
        assertInstanceOf(GatedKl.class, guarded.regularizers().get(0));
        assertTrue(((FlowGrpoObjective) guarded.objective()).ratioNorm());
        assertEquals(List.of(io.diffrl4j.core.adapter.AdapterRoles.EMA, io.diffrl4j.core.adapter.AdapterRoles.REFERENCE),
                guarded.snapshots());
    }
}
