package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.methods.grpoguard.GrpoGuard;
import org.junit.jupiter.api.Test;

/**
 * GRPO-Guard end to end on the 2-D toy (pretrained flow N(0, I), reward minus the distance to
 * (1.5, -0.5), evaluation on 512 fixed ODE samples): the recipe with the toy's sampler raises the
 * reward. One optimizer step per epoch is on-policy, where the normalised ratio is exactly 1 and
 * the clip range does not bind, so the configs' 2e-6 trains as Flow-GRPO's 1e-4 would.
 */
class GrpoGuardLearnTest {
    private static final int EPOCHS = 5;

    @Test
    void grpoGuardRaisesTheReward() throws Exception {
        Method guard = GrpoGuard.method().withSampler(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10).build());
        TrainerConfig config = ToyProblem.learningConfig();
        ToyProblem.Curve curve = ToyProblem.learn(guard, config, EPOCHS);
        System.out.println("GRPO-Guard toy curve: " + java.util.Arrays.toString(curve.rewards()));
        ToyProblem.assertRises("GRPO-Guard", curve.rewards(), 0.2); // measured: -1.871 -> -1.381 (Flow-GRPO: -1.428)
        assertTrue(((FlowGrpoObjective) guard.objective()).ratioNorm());
    }
}
