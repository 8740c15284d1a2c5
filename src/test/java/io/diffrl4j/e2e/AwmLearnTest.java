package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.awm.Awm;
import io.diffrl4j.methods.awm.AwmObjective;
import io.diffrl4j.methods.awm.TimeWeighting;
import org.junit.jupiter.api.Test;

/**
 * AWM end to end on the 2-D toy (pretrained flow N(0, I), reward minus the distance to (1.5, -0.5),
 * evaluation on 512 fixed ODE samples): the recipe (ghuber-weighted advantage matching on 6 strata
 * of the rollout's levels, its KLs to the pretrained model and to the EMA of the policy) on the
 * toy's 10-step ODE rollouts at shift 1, one on-policy step per epoch, raises the reward.
 */
class AwmLearnTest {
    private static final int EPOCHS = 5;

    @Test
    void awmRaisesTheReward() throws Exception {
        Method awm = Awm.method().withSampler(Awm.sampler().optSteps(10).optShift(1.0).build())
                .withObjective(new AwmObjective(Awm.noiseLevels(10, 1.0, 1), TimeWeighting.ghuber(Awm.GHUBER_POWER)));
        TrainerConfig config = ToyProblem.learningConfig();
        ToyProblem.Curve curve = ToyProblem.learn(awm, config, EPOCHS);
        System.out.println("AWM toy curve: " + java.util.Arrays.toString(curve.rewards()));
        ToyProblem.assertRises("AWM", curve.rewards(), 0.2); // measured: -1.871 -> -1.394 (Flow-GRPO: -1.428)
        assertTrue(awm.regularizers().size() == 2);
    }
}
