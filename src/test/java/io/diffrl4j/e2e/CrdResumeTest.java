package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.Crd;
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
        Method crd = ToyProblem.quickCrd().withSchedule(Crd.samplerEma(EmaDecay.parse("0-0.5-0.0-0.5")));
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(4).optPromptsPerSamplingBatch(2)
                .optGroupsPerMicroBatch(1).optOptimizerStepsPerEpoch(2).optLearningRate(1e-2).optSeed(5).build();
        ToyProblem.assertResumesBitIdentically(crd, config, dir, CrdResumeTest::weights, model -> {
            List<float[]> sampler = weights(model, AdapterRoles.SAMPLER);
            assertTrue(!same(weights(model, AdapterRoles.POLICY), sampler), "the sampler is not the policy");
            assertTrue(!same(weights(model, AdapterRoles.OLD), sampler), "the sampler is not the moving reference");
        });
    }
}
