package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Micro-batches smaller than a group ({@link TrainerConfig.Builder#optImagesPerMicroBatch}) through
 * public API on the 2-D toy of {@link ToyProblem}: the same step as whole groups, learning, resume,
 * and the config's messages.
 */
class SubGroupMicroBatchTest {
    private static final int G = 8;
    private static final String[] SETS = {AdapterRoles.POLICY, AdapterRoles.OLD, AdapterRoles.SAMPLER};

    private static Method crd() {
        return ToyProblem.quickCrd();
    }

    private static Method flowGrpo() {
        return FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10).build(), FlowGrpo.BETA);
    }

    private static Method nft() {
        return DiffusionNft.method()
                .withSampler(DiffusionNft.sampler().optShift(1.0).optSteps(6).build())
                .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA, new DiscreteNoiseLevels(5, 1.0, 0.8),
                        AdapterRoles.OLD));
    }

    private static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(G).optPromptsPerSamplingBatch(2)
                .optGroupsPerMicroBatch(1).optOptimizerStepsPerEpoch(1).optLearningRate(1e-2).optSeed(7);
    }

    private static List<float[]> weights(ToyFlowModel model) {
        List<float[]> out = new ArrayList<>();
        for (String set : SETS) {
            if (model.adapters().contains(set)) {
                for (NDArray a : model.adapters().get(set).parameters()) {
                    out.add(a.toFloatArray());
                }
            }
        }
        return out;
    }

    private static void perturb(AdapterSet set, long seed) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(0.05));
        }
    }

    /** A toy whose policy and snapshots already differ, so CRD's implicit reward is not 0 in the first pass. */
    private static ToyFlowModel divergedModel(NDManager root, Method method) {
        ToyFlowModel model = ToyProblem.model(root);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(31));
        perturb(policy, 32);
        long seed = 33;
        for (String snapshot : method.snapshots()) {
            perturb(model.adapters().copyOf(snapshot, policy, false), seed++);
        }
        return model;
    }

    /** The reports of {@code epochs} epochs and the final weights. */
    private record Run(List<EpochReport> reports, List<float[]> weights) {}

    private static Run run(Supplier<Method> method, TrainerConfig config, int epochs, boolean diverged) {
        Method m = method.get();
        try (NDManager root = NDManager.newBaseManager();
                ToyFlowModel model = diverged ? divergedModel(root, m) : ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, m, config).build()) {
            List<EpochReport> reports = new ArrayList<>();
            for (int e = 0; e < epochs; e++) {
                reports.add(trainer.epoch());
            }
            return new Run(reports, weights(model));
        }
    }

    @Test
    void imagesPerMicroBatchOfWholeGroupsIsTheDefaultBitForBit() {
        Run byDefault = run(SubGroupMicroBatchTest::crd, config().optOptimizerStepsPerEpoch(2).build(), 2, true);
        Run explicit = run(SubGroupMicroBatchTest::crd, config().optOptimizerStepsPerEpoch(2).optImagesPerMicroBatch(G).build(), 2,
                true);
        for (int i = 0; i < byDefault.weights().size(); i++) {
            assertArrayEquals(byDefault.weights().get(i), explicit.weights().get(i), 0f, "array " + i);
        }
        for (int e = 0; e < 2; e++) {
            for (String metric : byDefault.reports().get(e).metrics().keySet()) {
                if (!metric.startsWith("time/") && !metric.startsWith("memory/")) {
                    assertEquals(byDefault.reports().get(e).get(metric), explicit.reports().get(e).get(metric), 0.0, metric);
                }
            }
        }
    }

    /**
     * One optimizer step over whole groups and over parts of G/2 and G/4 images: the accumulated
     * gradient (its norm) and the losses agree to float rounding, for CRD (group mean from the
     * no-grad pass), DiffusionNFT and Flow-GRPO (per-sample losses).
     */
    @Test
    void partsOfAGroupTakeTheWholeGroupsStep() {
        List<Supplier<Method>> methods = List.of(SubGroupMicroBatchTest::crd, SubGroupMicroBatchTest::nft,
                SubGroupMicroBatchTest::flowGrpo);
        double worst = 0;
        for (Supplier<Method> method : methods) {
            String name = method.get().name();
            EpochReport whole = run(method, config().build(), 1, true).reports().get(0);
            for (int m : new int[] {G / 2, G / 4}) {
                EpochReport parts = run(method, config().optImagesPerMicroBatch(m).build(), 1, true).reports().get(0);
                for (String metric : new String[] {"grad_norm", "loss", "policy_loss", "kl"}) {
                    double want = whole.get(metric);
                    double got = parts.get(metric);
                    assertTrue(Double.isFinite(want), name + " " + metric + " = " + want);
                    // Flow-GRPO's first policy loss is mean(-A) at ratio 1, zero up to rounding: compare absolutely there.
                    double error = Math.abs(got - want) / Math.max(Math.abs(want), 1e-2);
                    worst = Math.max(worst, error);
                    System.out.printf("%s parts of %d: %s relative error %.2e%n", name, m, metric, error);
                    assertTrue(error < 1e-5, name + " " + metric + " with parts of " + m + ": " + want + " vs " + got);
                }
                if (name.contains("crd")) {
                    double want = whole.get("implicit_reward");
                    assertTrue(Math.abs(want) > 1e-6, "the implicit reward is not 0: " + want);
                    assertEquals(want, parts.get("implicit_reward"), 1e-5 * Math.abs(want));
                }
            }
        }
        System.out.println("sub-group micro-batches vs whole groups, one step: worst relative error " + worst);
    }

    private static double[] learn(Method method, TrainerConfig config, int epochs) throws Exception {
        return ToyProblem.learn(method, config, epochs).rewards();
    }

    @Test
    void crdAndFlowGrpoLearnWithMicroBatchesOfHalfAGroup() throws Exception {
        int epochs = 5;
        // Close to CrdLearnTest's and BaselinesLearnTest's settings (fewer levels and prompts, to stay
        // quick), with micro-batches of 4 of the 8 images of a group.
        long start = System.nanoTime();
        double[] crd = learn(crd(), TrainerConfig.builder().optPromptsPerEpoch(8).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optImagesPerMicroBatch(4).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(3).build(), epochs);
        long mid = System.nanoTime();
        double[] grpo = learn(flowGrpo(), TrainerConfig.builder().optPromptsPerEpoch(8).optGroupSize(8)
                .optPromptsPerSamplingBatch(4).optImagesPerMicroBatch(4).optOptimizerStepsPerEpoch(1).optLearningRate(2e-2)
                .optSeed(3).build(), epochs);
        System.out.printf("learning runs: CRD %.1f s, Flow-GRPO %.1f s%n", (mid - start) / 1e9, (System.nanoTime() - mid) / 1e9);
        System.out.println("CRD with parts of 4: " + Arrays.toString(crd) + "; Flow-GRPO: " + Arrays.toString(grpo));
        ToyProblem.assertRises("CRD", crd, 0.2);
        ToyProblem.assertRises("Flow-GRPO", grpo, 0.2);
    }

    @Test
    void resumingWithSubGroupMicroBatchesContinuesBitIdentically(@TempDir Path dir) throws Exception {
        Method crd = crd().withSchedule(Crd.samplerEma(EmaDecay.parse("0-0.5-0.0-0.5")));
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(4).optPromptsPerSamplingBatch(2)
                .optImagesPerMicroBatch(2).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(5).build();
        ToyProblem.assertResumesBitIdentically(crd, config, dir, SubGroupMicroBatchTest::weights, model -> { });
    }

    private static String message(TrainerConfig.Builder b) {
        return assertThrows(IllegalArgumentException.class, b::build).getMessage();
    }

    @Test
    void badMicroBatchSizesNameTheField() {
        assertEquals("imagesPerMicroBatch must be >= 1, got 0", message(TrainerConfig.builder().optImagesPerMicroBatch(0)));
        assertEquals("imagesPerMicroBatch 5 must divide groupSize 24: a micro-batch smaller than a group holds an equal "
                + "part of one group", message(TrainerConfig.builder().optImagesPerMicroBatch(5)));
        assertEquals("imagesPerMicroBatch 12 is smaller than a group (groupSize 24), so groupsPerMicroBatch must be 1, got 2",
                message(TrainerConfig.builder().optGroupsPerMicroBatch(2).optPromptsPerSamplingBatch(2)
                        .optImagesPerMicroBatch(12)));
        assertEquals("imagesPerMicroBatch 48 must divide groupSize 24 or equal groupsPerMicroBatch x groupSize = 24 (use "
                + "groupsPerMicroBatch to pack several whole groups)", message(TrainerConfig.builder().optImagesPerMicroBatch(48)));
        TrainerConfig parts = TrainerConfig.builder().optImagesPerMicroBatch(6).build();
        assertEquals(6, parts.imagesPerMicroBatch());
        assertEquals(4, parts.microBatchesPerGroup());
        assertEquals(6, parts.toJson().get("images_per_micro_batch").asInt());
        TrainerConfig whole = TrainerConfig.builder().optGroupsPerMicroBatch(2).optPromptsPerSamplingBatch(2).build();
        assertEquals(48, whole.imagesPerMicroBatch());
        assertEquals(1, whole.microBatchesPerGroup());
        assertEquals(48, TrainerConfig.builder().optGroupsPerMicroBatch(2).optPromptsPerSamplingBatch(2)
                .optImagesPerMicroBatch(48).build().imagesPerMicroBatch());
    }
}
