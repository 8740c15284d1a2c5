package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Both baselines, end to end through public API on the 2-D toy: the pretrained flow generates
 * N(0, I), the reward is minus the distance to (1.5, -0.5). Progress is measured on a fixed
 * evaluation set (512 ODE samples from fixed noise), so the curve is free of sampling noise.
 */
class BaselinesLearnTest {
    private static final int EPOCHS = 5;

    /** Mean reward of 512 deterministic ODE samples of the policy. */
    private static double evaluate(ToyFlowModel model) throws Exception {
        TrajectorySampler ode = TrajectorySampler.builder().optSteps(10).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = model.adapters().with(AdapterRoles.POLICY, () -> ode.sample(m, model, Conditioning.none(512), null, 1,
                    new Shape(2), new SeededNoise(2024)).samples().toFloatArray());
            double[] r = ToyProblem.distanceReward().score(new ImageBatch(x, 512, 2, 1, 1),
                    new ArrayList<>(Collections.nCopies(512, Prompt.of("eval"))));
            double s = 0;
            for (double v : r) {
                s += v;
            }
            return s / r.length;
        }
    }

    /** Trains EPOCHS epochs; returns the evaluation reward before and after each, and the KLs. */
    private static double[][] run(Method method, TrainerConfig config) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method, config).build()) {
            double[] rewards = new double[EPOCHS + 1];
            double[] kl = new double[EPOCHS];
            rewards[0] = evaluate(model);
            for (int e = 0; e < EPOCHS; e++) {
                EpochReport report = trainer.epoch();
                kl[e] = report.get("kl");
                rewards[e + 1] = evaluate(model);
            }
            return new double[][] {rewards, kl};
        }
    }

    private static void assertLearns(String name, double[][] result, double minGain) {
        double[] r = result[0];
        double[] kl = result[1];
        for (int e = 0; e < EPOCHS; e++) {
            assertTrue(r[e + 1] > r[e], name + ": evaluation reward fell at epoch " + e + ": " + java.util.Arrays.toString(r));
        }
        assertTrue(r[EPOCHS] - r[0] > minGain, name + ": gain " + (r[EPOCHS] - r[0]) + " " + java.util.Arrays.toString(r));
        // The first epoch's first step starts at the reference: its KL is (near) zero, then it grows.
        assertTrue(kl[0] < 1e-3, name + ": initial KL " + kl[0]);
        assertTrue(kl[EPOCHS - 1] > kl[0] && kl[EPOCHS - 1] > 0, name + ": KL did not grow " + java.util.Arrays.toString(kl));
    }

    @Test
    void flowGrpoRaisesTheRewardAndMovesAwayFromTheReference() throws Exception {
        Method grpo = FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10).build(), FlowGrpo.BETA);
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(16).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optGroupsPerMicroBatch(4).optOptimizerStepsPerEpoch(1).optLearningRate(2e-2).optSeed(3).build();
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
