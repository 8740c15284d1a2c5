package io.diffrl4j.methods;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.nft.DiffusionNft;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The reference's EMAModuleWrapper: d = min((1 + n) / (10 + n), 0.9), update when (n + 1) % interval == 0. */
class PolicyEmaTest {
    @Test
    void decayAndIntervalAreTheReferences() {
        PolicyEma grpo = PolicyEma.flowGrpo();
        assertEquals(8.0 / 17.0, grpo.decayAt(7), 1e-15, "(1 + 7) / (10 + 7)");
        assertEquals(0.9, grpo.decayAt(100), 0.0, "min(101 / 110, 0.9)");
        assertEquals(0.9, grpo.decayAt(81), 0.0, "82 / 91 = 0.9011 -> 0.9");
        assertEquals(80.0 / 89.0, grpo.decayAt(79), 1e-15);
        assertTrue(grpo.updatesAt(7) && grpo.updatesAt(15));
        assertFalse(grpo.updatesAt(8) || grpo.updatesAt(0));
        assertTrue(PolicyEma.diffusionNft().updatesAt(0) && PolicyEma.diffusionNft().updatesAt(1));
    }

    @Test
    void afterAQualifyingStepTheEmaIsTheBlend() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 3, 0.5, 0.8, 2, 7)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            AdapterSet ema = model.adapters().copyOf(AdapterRoles.EMA, policy, false);
            float[] before = ema.parameters().get(0).toFloatArray();
            NDArray p0 = policy.parameters().get(0);
            p0.addi(new SeededNoise(3).normal(m, p0.getShape()));
            float[] moved = p0.toFloatArray();
            PolicyEma schedule = PolicyEma.flowGrpo();
            schedule.afterStep(model.adapters(), new TrainingProgress(0, 6), Map.of());
            assertEquals(before[0], ema.parameters().get(0).toFloatArray()[0], 0f, "step 6: (6 + 1) % 8 != 0");
            schedule.afterStep(model.adapters(), new TrainingProgress(0, 7), Map.of());
            double d = 8.0 / 17.0;
            float[] after = ema.parameters().get(0).toFloatArray();
            for (int i = 0; i < after.length; i++) {
                assertEquals(d * before[i] + (1 - d) * moved[i], after[i], 1e-6, "element " + i);
            }
        }
    }

    @Test
    void afterKStepsTheEmaIsTheHandComputedBlendSequence() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 3, 0.5, 0.8, 2, 7)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            setAll(policy, 0f);
            AdapterSet ema = model.adapters().copyOf(AdapterRoles.EMA, policy, false);
            PolicyEma every = PolicyEma.diffusionNft();
            // policy 1, 2, 4 after steps 0, 1, 2; d = 1/10, 2/11, 3/12:
            // 0.1*0 + 0.9*1 = 0.9; (2/11)*0.9 + (9/11)*2 = 1.8; 0.25*1.8 + 0.75*4 = 3.45
            float[] policyAt = {1f, 2f, 4f};
            double[] expected = {0.9, 1.8, 3.45};
            for (int n = 0; n < 3; n++) {
                setAll(policy, policyAt[n]);
                every.afterStep(model.adapters(), new TrainingProgress(0, n), Map.of());
                for (NDArray p : ema.parameters()) {
                    for (float v : p.toFloatArray()) {
                        assertEquals(expected[n], v, 1e-6, "after step " + n);
                    }
                }
            }
            // CRD's counts epochs: no blend after a step, one after epoch 9 with d = min(10/19, 0.995)
            PolicyEma crd = PolicyEma.crd();
            setAll(policy, 5f);
            crd.afterStep(model.adapters(), new TrainingProgress(9, 9), Map.of());
            crd.afterEpoch(model.adapters(), new TrainingProgress(8, 9), Map.of());
            assertEquals(3.45, ema.parameters().get(0).toFloatArray()[0], 1e-6, "step, and epoch 8: (8 + 1) % 10 != 0");
            crd.afterEpoch(model.adapters(), new TrainingProgress(9, 10), Map.of());
            assertEquals(10.0 / 19 * 3.45 + 9.0 / 19 * 5, ema.parameters().get(0).toFloatArray()[0], 1e-6);
        }
    }

    private static void setAll(AdapterSet set, float value) {
        for (NDArray p : set.parameters()) {
            p.muli(0).addi(value);
        }
    }

    @Test
    void methodsKeepTheEmaAsTheirReferencesAndEvaluateWithIt() {
        Method grpo = FlowGrpo.method();
        assertEquals(List.of(AdapterRoles.EMA), grpo.snapshots(), "flow_grpo config/grpo.py: train.ema = True");
        assertTrue(grpo.schedules().get(0) instanceof PolicyEma);
        assertEquals(AdapterRoles.EMA, grpo.evaluationSet());
        Method nft = DiffusionNft.method();
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.EMA), nft.snapshots(), "DiffusionNFT config/base.py");
        assertEquals(2, nft.schedules().size());
        assertEquals(AdapterRoles.EMA, nft.evaluationSet());
        assertEquals(AdapterRoles.EMA, Crd.method().evaluationSet(), "Flow-Factory ema_decay = 0.995");
        assertEquals(AdapterRoles.POLICY, io.diffrl4j.methods.gardo.Gardo.on(io.diffrl4j.methods.gardo.Gardo.diffusionNftBase(), io.diffrl4j.regularizers.gardo.GatedKl.builder().optKlOnAllWhenNoneGated(true), io.diffrl4j.regularizers.gardo.AdaptiveReference.diffusionNft())
                .evaluationSet(), "GARDO's base.py: train.ema = False");
        Method off = FlowGrpo.method().without(PolicyEma.STATE_KEY);
        assertEquals(List.of(), off.snapshots());
        assertEquals(AdapterRoles.POLICY, off.evaluationSet());
        assertEquals(AdapterRoles.POLICY,
                nft.withSchedules(List.of()).evaluationSet(), "a snapshot no schedule updates is not an EMA");
    }
}
