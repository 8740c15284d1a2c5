package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import org.junit.jupiter.api.Test;

/**
 * Both baselines, end to end through public API on the 2-D toy: the pretrained flow generates
 * N(0, I), the reward is minus the distance to (1.5, -0.5). Progress is measured on a fixed
 * evaluation set (512 ODE samples from fixed noise), so the curve is free of sampling noise.
 */
class BaselinesLearnTest {
    private static final int EPOCHS = 5;

    /** Trains EPOCHS epochs; returns the evaluation reward before and after each, and the KLs. */
    private static double[][] run(Method method, TrainerConfig config) throws Exception {
        ToyProblem.Curve curve = ToyProblem.learn(method, config, EPOCHS);
        return new double[][] {curve.rewards(), curve.metric("kl")};
    }

    private static void assertLearns(String name, double[][] result, double minGain) {
        double[] kl = result[1];
        ToyProblem.assertRises(name, result[0], minGain);
        // The first epoch's first step starts at the reference: its KL is (near) zero, then it grows.
        assertTrue(kl[0] < 1e-3, name + ": initial KL " + kl[0]);
        assertTrue(kl[EPOCHS - 1] > kl[0] && kl[EPOCHS - 1] > 0, name + ": KL did not grow " + java.util.Arrays.toString(kl));
    }

    @Test
    void flowGrpoRaisesTheRewardAndMovesAwayFromTheReference() throws Exception {
        Method grpo = FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10).build(), FlowGrpo.BETA);
        TrainerConfig config = ToyProblem.learningConfig();
        double[][] result = run(grpo, config);
        assertEquals(EPOCHS + 1, result[0].length);
        assertLearns("Flow-GRPO", result, 0.2); // measured: -1.871 -> -1.428
    }

    @Test
    void diffusionNftRaisesTheRewardAndMovesAwayFromTheReference() throws Exception {
        // The recipe's levels are of its 10-step rollouts at shift 3: these are the toy's, at shift 1.
        Method nft = DiffusionNft.method()
                .withSampler(DiffusionNft.sampler().optShift(1.0).optSteps(10).build())
                .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA, new RolloutNoiseLevels(10, 1.0, 0.99),
                        AdapterRoles.OLD));
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(8).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optGroupsPerMicroBatch(4).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(3).build();
        assertLearns("DiffusionNFT", run(nft, config), 0.2); // measured: -1.871 -> -1.347
    }
}
