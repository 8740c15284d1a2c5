package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import io.diffrl4j.rewards.embed.RandomProjectionEmbedder;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * GARDO end to end through public API on the 2-D toy of {@link ToyProblem}: the proxy reward is
 * minus the distance to (1.5, -0.5), the auxiliary reward (what the gate compares with) minus the
 * distance to the nearby (1.4, -0.6), and the diversity shaping reads the built-in random
 * projection embedder. Progress is measured on a fixed evaluation set (512 ODE samples from fixed
 * noise). Full GARDO on both bases must raise the evaluation reward and renew its reference;
 * {@link GardoAblationTest} switches off one part at a time.
 */
class GardoLearnTest {
    static final int EPOCHS = 7;

    /** Minus the distance to (1.4, -0.6): agrees with the proxy far away, disagrees near the target. */
    static RewardFunction auxiliaryReward() {
        return ToyProblem.distanceReward("neg_distance_aux", 1.4, -0.6);
    }

    /** Points are already centred: no offset. */
    static RandomProjectionEmbedder embedder() {
        return RandomProjectionEmbedder.builder().optDimension(16).optOffset(0).optSeed(5).build();
    }

    /**
     * @return the toy's Flow-GRPO base: GARDO's (8 of the 10 steps trained, the evaluation EMA, GARDO's
     *     beta {@value Gardo#FLOW_GRPO_BETA}) at guidance 1 and shift 1
     */
    static Method grpoBase() {
        return FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10)
                .optTrainFraction(Gardo.FLOW_GRPO_TRAIN_FRACTION).build(), Gardo.FLOW_GRPO_BETA);
    }

    /** @return full GARDO on {@link #grpoBase()}: the paper's gate, adaptive reference and diversity with {@link #embedder()} */
    static Method gardoOnGrpo() {
        return Gardo.on(grpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo())
                .withAdvantages(new DiversityAwareAdvantage(embedder()));
    }

    static TrainerConfig grpoTrainer() {
        return ToyProblem.learningConfig();
    }

    static Trainer.Builder trainer(ToyFlowModel model, Method method, TrainerConfig config) {
        return ToyProblem.trainer(model, method, config).addAuxiliaryReward(auxiliaryReward());
    }

    /** What a run measured: evaluation rewards before and after each epoch, and the epoch reports. */
    record Run(double[] rewards, List<EpochReport> reports, int renewals) {
        double[] metric(String name) {
            return reports.stream().mapToDouble(r -> r.get(name)).toArray();
        }
    }

    static Run run(Method method, TrainerConfig config) throws Exception {
        ToyProblem.Curve curve = ToyProblem.learn(GardoLearnTest::trainer, method, config, EPOCHS);
        int renewals = method.schedules().stream().filter(s -> s instanceof AdaptiveReference)
                .mapToInt(s -> ((AdaptiveReference) s).renewals()).sum();
        return new Run(curve.rewards(), curve.reports(), renewals);
    }

    static void report(String name, Run run) {
        System.out.printf("%s: eval %s%n  kl %s%n  kl_gated %s%n  gate_fraction %s%n  gate_k %s%n  renewals %d%n", name,
                Arrays.toString(run.rewards()), Arrays.toString(run.metric("kl")), Arrays.toString(run.metric("kl_gated")),
                Arrays.toString(run.metric("gate_fraction")), Arrays.toString(run.metric("gate_k")), run.renewals());
    }

    /** Every epoch raises the evaluation reward, and the total gain exceeds {@code minGain}. */
    static void assertLearns(String name, Run run, double minGain) {
        ToyProblem.assertRises(name, run.rewards(), minGain);
    }

    /** The gate is logged every epoch, within its bounds. */
    static void assertGateLogged(String name, Run run) {
        for (int e = 0; e < EPOCHS; e++) {
            double fraction = run.metric("gate_fraction")[e];
            double k = run.metric("gate_k")[e];
            assertTrue(fraction > 0 && fraction <= 0.2, name + ": gate_fraction " + fraction + " at epoch " + e);
            assertTrue(k >= 0.02 && k <= 0.2, name + ": gate_k " + k + " at epoch " + e);
            assertTrue(run.metric("kl_gated")[e] >= 0, name + ": kl_gated at epoch " + e);
        }
    }

    @Test
    void gardoOnFlowGrpoLearnsAndRenewsItsReference() throws Exception {
        Method gardo = gardoOnGrpo();
        Run run = run(gardo, grpoTrainer());
        report("GARDO/Flow-GRPO", run);
        assertLearns("GARDO/Flow-GRPO", run, 0.5); // measured: -1.871 -> -1.164
        assertGateLogged("GARDO/Flow-GRPO", run);
        double[] kl = run.metric("kl");
        double[] gated = run.metric("kl_gated");
        // The renewal compares the gated KL, as GARDO's script (info["kl_loss"] > thres): epoch 4's
        // ungated kl 4.1e-4 is above 3e-4 but its gated kl 7.9e-5 is not; epoch 5's gated kl 3.3e-4 is,
        // so the reference is the policy again at epoch 6, whose single optimizer step is evaluated
        // before it moves: its KL is exactly zero.
        assertTrue(kl[4] > 3e-4 && gated[4] < 3e-4, Arrays.toString(kl) + " " + Arrays.toString(gated));
        assertTrue(gated[5] > 3e-4, Arrays.toString(gated));
        assertEquals(1, run.renewals());
        assertTrue(kl[5] > 0, Arrays.toString(kl));
        assertEquals(0.0, kl[6], 1e-12, Arrays.toString(kl));
    }

    @Test
    void gardoOnFlowGrpoLearnsWithShuffledMixedPromptMicroBatches() throws Exception {
        // GARDO's scripts shuffle the epoch's images into micro-batches of 9 that mix prompts.
        TrainerConfig shuffled = TrainerConfig.builder().optPromptsPerEpoch(16).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optShuffledMicroBatches(9).optOptimizerStepsPerEpoch(1).optLearningRate(2e-2).optSeed(3).build();
        Method gardo = gardoOnGrpo();
        Run run = run(gardo, shuffled);
        report("GARDO/Flow-GRPO, shuffled micro-batches of 9", run);
        assertLearns("GARDO/Flow-GRPO, shuffled", run, 0.3);
        assertGateLogged("GARDO/Flow-GRPO, shuffled", run);
    }

    @Test
    void gardoOnDiffusionNftLearns() throws Exception {
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(8).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optGroupsPerMicroBatch(4).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(3).build();
        // DiffusionNFT's defaults (the evaluation EMA, 9 of the rollout's 10 levels) at shift 1, GARDO's beta.
        Method base = DiffusionNft.method()
                .withSampler(DiffusionNft.sampler().optShift(1.0).optSteps(10).build())
                .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA,
                        new RolloutNoiseLevels(10, 1.0, 0.99), AdapterRoles.OLD))
                .withKlBeta(Gardo.DIFFUSION_NFT_BETA);
        Method gardo = Gardo.on(base, GatedKl.builder().optKlOnAllWhenNoneGated(true), AdaptiveReference.diffusionNft())
                .withAdvantages(new DiversityAwareAdvantage(embedder()));
        Run run = run(gardo, config);
        report("GARDO/DiffusionNFT", run);
        assertLearns("GARDO/DiffusionNFT", run, 0.5); // measured: -1.871 -> -1.190
        assertGateLogged("GARDO/DiffusionNFT", run);
        // The velocity MSE passed the 0.15 threshold at epoch 5: renewed at epoch 6, the KL drops.
        double[] kl = run.metric("kl");
        assertEquals(1, run.renewals(), Arrays.toString(kl));
        assertTrue(kl[5] > 0.15 && kl[6] < 0.1 * kl[5], Arrays.toString(kl));
    }
}
