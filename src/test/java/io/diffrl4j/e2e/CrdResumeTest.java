package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.CenteringScope;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.CrdObjective;
import io.diffrl4j.methods.crd.ImplicitRewardForm;
import io.diffrl4j.methods.crd.MatchingLoss;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * CRD's three adapter sets (policy, moving reference, decoupled sampler) survive a checkpoint: a
 * resumed run ends bit-identical to an uninterrupted one, with the garbage collector running
 * continuously (it would expose any autograd use of a number operand DJL has freed).
 */
class CrdResumeTest {
    private static List<float[]> weights(ToyFlowModel model, String... sets) {
        List<float[]> out = new ArrayList<>();
        for (String set : sets) {
            for (NDArray a : model.adapters().get(set).parameters()) {
                out.add(a.toFloatArray());
            }
        }
        return out;
    }

    private static List<float[]> weights(ToyFlowModel model) {
        return weights(model, AdapterRoles.POLICY, AdapterRoles.OLD, AdapterRoles.SAMPLER);
    }

    private static boolean same(List<float[]> a, List<float[]> b) {
        for (int i = 0; i < a.size(); i++) {
            if (!Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    @Test
    void resumingContinuesBitIdenticallyUnderGcPressure(@TempDir Path dir) throws Exception {
        // A sampler that really lags the policy from the start, so all three sets differ and all are
        // checkpointed; the GC thread would expose any autograd use of a freed scalar operand.
        // 4 training levels instead of 19 keep the run short under the GC thread.
        Method crd = Crd.method()
                .withSampler(Crd.sampler().optShift(1.0).optSteps(6).build())
                .withObjective(new CrdObjective(CrdObjective.DEFAULT_BETA, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT,
                        MatchingLoss.MSE, new DiscreteNoiseLevels(5, 1.0, 0.8), AdapterRoles.OLD))
                .withSchedule(Crd.samplerEma(EmaDecay.parse("0-0.5-0.0-0.5")));
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(4).optPromptsPerSamplingBatch(2)
                .optGroupsPerMicroBatch(1).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(5).build();
        Thread gc = TrainerLoopTest.collectGarbageContinuously();
        try {
            List<float[]> straight;
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                    Trainer trainer = ToyProblem.trainer(model, crd, config).build()) {
                trainer.trainUntil(3);
                straight = weights(model);
                List<float[]> sampler = weights(model, AdapterRoles.SAMPLER);
                assertTrue(!same(weights(model, AdapterRoles.POLICY), sampler), "the sampler is not the policy");
                assertTrue(!same(weights(model, AdapterRoles.OLD), sampler), "the sampler is not the moving reference");
            }
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                    Trainer trainer = ToyProblem.trainer(model, crd, config).build()) {
                trainer.trainUntil(1);
                trainer.save(dir);
            }
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                    Trainer trainer = ToyProblem.trainer(model, crd, config).build()) {
                trainer.resume(dir);
                trainer.trainUntil(3);
                List<float[]> resumed = weights(model);
                assertEquals(straight.size(), resumed.size());
                for (int i = 0; i < straight.size(); i++) {
                    assertArrayEquals(straight.get(i), resumed.get(i), 0f, "array " + i);
                }
            }
        } finally {
            gc.interrupt();
        }
    }
}
