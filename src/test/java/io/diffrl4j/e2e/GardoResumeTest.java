package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A GARDO run saved and resumed mid-way continues bit-identically: the reference snapshot, the
 * gate controller's k and history, and the adaptive reference's threshold, last renewal and
 * pending flag all travel through the checkpoint. Low thresholds make renewals frequent, so the
 * checkpoint falls between a step that made a renewal due and the renewal itself. The Flow-GRPO
 * runs collect garbage continuously, which exposes any gate mask autograd reads from freed memory.
 */
class GardoResumeTest {
    private static final int EPOCHS = 6;
    private static final int SAVED_AT = 3;

    /** Everything a run ends with: adapter weights by set, and the strategies' state. */
    private record End(Map<String, List<float[]>> weights, List<Map<String, Double>> strategies, int renewals) {}

    private static End train(Supplier<Method> method, TrainerConfig config, Path dir, boolean resume) throws Exception {
        Method m = method.get();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = GardoLearnTest.trainer(model, m, config).build()) {
            if (resume) {
                trainer.resume(dir);
                assertEquals(SAVED_AT, trainer.completedEpochs());
                trainer.trainUntil(EPOCHS);
            } else if (dir != null) {
                trainer.trainUntil(SAVED_AT);
                trainer.save(dir);
                assertTrue(m.schedules().stream().anyMatch(s -> s instanceof AdaptiveReference a && a.renewalDue()),
                        "the checkpoint holds a pending renewal");
                return null;
            } else {
                trainer.trainUntil(EPOCHS);
            }
            Map<String, List<float[]>> weights = new java.util.LinkedHashMap<>();
            for (String set : model.adapters().names()) {
                weights.put(set, TrainerLoopTest.weights(model, set));
            }
            List<Map<String, Double>> strategies = new ArrayList<>();
            m.regularizers().forEach(r -> strategies.add(r.state()));
            m.schedules().forEach(s -> strategies.add(s.state()));
            int renewals = m.schedules().stream().filter(s -> s instanceof AdaptiveReference)
                    .mapToInt(s -> ((AdaptiveReference) s).renewals()).sum();
            return new End(weights, strategies, renewals);
        }
    }

    /**
     * @param gcStress run the garbage collector continuously (TrainerLoopTest's stress): a Java
     *     buffer that autograd still reads and the collector frees makes the runs differ
     */
    private static void assertResumesExactly(Supplier<Method> method, TrainerConfig config, Path dir, boolean gcStress)
            throws Exception {
        Thread gc = gcStress ? TrainerLoopTest.collectGarbageContinuously() : null;
        try {
            End straight = train(method, config, null, false);
            train(method, config, dir, false);
            End resumed = train(method, config, dir, true);
            assertTrue(straight.weights().containsKey(AdapterRoles.REFERENCE));
            assertEquals(straight.weights().keySet(), resumed.weights().keySet());
            for (String set : straight.weights().keySet()) {
                List<float[]> a = straight.weights().get(set);
                List<float[]> b = resumed.weights().get(set);
                for (int i = 0; i < a.size(); i++) {
                    assertArrayEquals(a.get(i), b.get(i), 0f, set + " array " + i);
                }
            }
            for (int i = 0; i < straight.strategies().size(); i++) {
                assertEquals(straight.strategies().get(i), resumed.strategies().get(i), "strategy " + i);
            }
            assertTrue(straight.renewals() >= 2, "renewals: " + straight.renewals());
        } finally {
            if (gc != null) {
                gc.interrupt();
            }
        }
    }

    @Test
    void gardoOnFlowGrpoResumesBitIdentically(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(2).build();
        assertResumesExactly(() -> Gardo.on(FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(6)
                        .optTrainFraction(Gardo.FLOW_GRPO_TRAIN_FRACTION).build(), Gardo.FLOW_GRPO_BETA), GatedKl.builder(),
                AdaptiveReference.flowGrpo().optKlThreshold(1e-9).optMaxEpochs(2))
                .withAdvantages(new DiversityAwareAdvantage(GardoLearnTest.embedder())), config, dir, true);
    }

    @Test
    void gardoOnDiffusionNftResumesBitIdentically(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(2).build();
        // DiffusionNFT's defaults (the evaluation EMA included) at 6 steps, shift 1, 4 levels, GARDO's beta.
        assertResumesExactly(() -> Gardo.on(DiffusionNft.method()
                        .withSampler(DiffusionNft.sampler().optShift(1.0).optSteps(6).build())
                        .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA,
                                new DiscreteNoiseLevels(4, 1.0, 1.0), AdapterRoles.OLD))
                        .withKlBeta(Gardo.DIFFUSION_NFT_BETA),
                GatedKl.builder().optKlOnAllWhenNoneGated(true),
                AdaptiveReference.diffusionNft().optKlThreshold(1e-4).optThresholdDecrease(1e-5, 1e-5)
                        .optThresholdIncrease(1e-5, 1).optMaxEpochs(2))
                .withAdvantages(new DiversityAwareAdvantage(GardoLearnTest.embedder())), config, dir, false);
    }
}
