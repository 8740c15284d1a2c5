package io.diffrl4j.methods.crd;

import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength;
import io.diffrl4j.core.objective.VelocityPrediction;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.TinyModels;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The CFG-anchored KL on a tiny SD3.5-family MMDiT whose output depends on the text. */
class CfgAnchoredKlTest {
    private static final int G = 2;
    private static final int B = 2 * G;
    private static final DiscreteNoiseLevels LEVELS = new DiscreteNoiseLevels(4, 3.0, 0.75);

    /** Counts forward passes and the batch sizes they ran with. */
    private static final class Counting implements AdaptedFlowModel {
        final MmditModel inner;
        final List<Long> batches = new ArrayList<>();

        Counting(MmditModel inner) {
            this.inner = inner;
        }

        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning) {
            batches.add(x.getShape().get(0));
            return inner.velocity(x, sigma, conditioning);
        }

        @Override
        public Adapters adapters() {
            return inner.adapters();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static Counting model(NDManager m) {
        Counting model = new Counting(TinyModels.mmdit(m, 3));
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(4));
        model.adapters().copyOf(AdapterRoles.OLD, policy, false);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static MicroBatch batch(NDManager m) {
        int[] rows = {0, 1, 2, 3};
        NDArray x0 = new SeededNoise(6).normal(m, new Shape(B, 4, 8, 8));
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(x0, List.of(), TinyModels.conditioning(m, B, 1), TinyModels.conditioning(m, B, 2), null),
                new MicroBatch.Scored(m.create(new float[] {2f, -1f, 4f, -3f}), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(8)));
    }

    private static CrdObjective objective() {
        return new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE, LEVELS,
                AdapterRoles.OLD);
    }

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    @Test
    void anchorIsTheGuidedPretrainedVelocityInOneBatchedPass() {
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            perturb(model.adapters().get(AdapterRoles.POLICY), 5, 0.2);
            MicroBatch mb = batch(m);
            CfgAnchoredKl kl = new CfgAnchoredKl(4.5, KlStrength.constant(1));
            VelocityPrediction p = objective().forward(mb, 1, model).prediction();
            model.batches.clear();
            NDArray anchor = kl.anchor(p);
            assertEquals(List.of((long) 2 * B), model.batches, "cond and uncond in one forward pass of 2b");
            assertSame(anchor, kl.anchor(p), "cached for the pass");
            assertEquals(1, model.batches.size());
            assertTrue(model.adapters().active() != null && AdapterRoles.POLICY.equals(model.adapters().active().name()),
                    "the policy is active again afterwards");

            NDArray vc = model.adapters().with(null, () -> model.velocity(p.xt(), p.sigma(), mb.conditioning()));
            NDArray vu = model.adapters().with(null, () -> model.velocity(p.xt(), p.sigma(), mb.unconditional()));
            float[] want = vu.add(vc.sub(vu).mul(4.5f)).toFloatArray();
            float[] got = anchor.toFloatArray();
            assertArrayEquals(want, got, 2e-5f);
            // The text matters: the guided anchor is not the conditional velocity.
            assertTrue(vc.sub(vu).abs().max().getFloat() > 1e-3);

            float[] policy = p.policy().toFloatArray();
            float[] perSample = kl.perSample(mb, p).toFloatArray();
            int per = got.length / B;
            for (int i = 0; i < B; i++) {
                double mse = 0;
                for (int k = 0; k < per; k++) {
                    double d = policy[i * per + k] - want[i * per + k];
                    mse += d * d / per;
                }
                assertEquals(mse, perSample[i], 1e-5 * mse);
            }
        }
    }

    @Test
    void klIsZeroAtInitialisationWithoutGuidanceAndPositiveWithIt() {
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            MicroBatch mb = batch(m);
            // Fresh LoRA (B = 0): the policy is the pretrained model.
            Prediction p = objective().forward(mb, 0, model).prediction();
            StepMetrics metrics = new StepMetrics();
            NDArray unguided = new CfgAnchoredKl(1.0, RewardAdaptiveKlStrength.perSample(0.1, 1e-4)).loss(mb, p, metrics);
            assertEquals(0f, unguided.getFloat(), 1e-12f);
            assertEquals(0.0, metrics.means().get("kl"), 1e-12);
            assertTrue(new CfgAnchoredKl(4.5, KlStrength.constant(1)).perSample(mb, p).min().getFloat() > 0,
                    "the policy at guidance 1 is away from the CFG-4.5 anchor");
        }
    }

    @Test
    void noGradientFlowsThroughTheAnchor() {
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            perturb(policy, 5, 0.2);
            MicroBatch mb = batch(m);
            KlStrength strength = RewardAdaptiveKlStrength.perSample(0.1, 1e-4);
            // (a) the CFG anchor of the pretrained model; (b) the same anchor formula evaluated with the
            // trainable policy set active, whose forward pass does record a graph: both must give the
            // gradient of a constant target.
            for (String anchorSet : new String[] {null, AdapterRoles.POLICY}) {
                List<float[]> viaKl;
                float[] anchorValues;
                try (NDManager scope = m.newSubManager()) {
                    scope.tempAttachAll(mb.samples(), mb.advantages());
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Prediction p = objective().forward(mb, 2, model).prediction();
                        ReferenceKl kl = anchorSet == null ? new CfgAnchoredKl(4.5, strength)
                                : new ReferenceKl(anchorSet, 4.5, KlForm.CODE, strength);
                        NDArray anchor = p.under(anchorSet, 4.5);
                        assertTrue(!anchor.hasGradient(), "the anchor is detached");
                        anchorValues = anchor.toFloatArray();
                        gc.backward(kl.loss(mb, p, new StepMetrics()));
                    }
                    viaKl = takeGradients(policy.parameters());
                }
                List<float[]> viaConstant;
                try (NDManager scope = m.newSubManager()) {
                    scope.tempAttachAll(mb.samples(), mb.advantages());
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Prediction p = objective().forward(mb, 2, model).prediction();
                        NDArray constant = scope.create(anchorValues, p.policy().getShape());
                        NDArray sq = p.policy().sub(constant).square().reshape(B, -1).mean(new int[] {1});
                        gc.backward(sq.mul(strength.coefficients(mb)).mean());
                    }
                    viaConstant = takeGradients(policy.parameters());
                }
                double scale = 0;
                for (float[] g : viaConstant) {
                    for (float v : g) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                }
                assertTrue(scale > 0, "the policy gets a KL gradient");
                for (int k = 0; k < viaKl.size(); k++) {
                    assertArrayEquals(viaConstant.get(k), viaKl.get(k), (float) (1e-5 * scale), "anchor " + anchorSet + " param " + k);
                }
            }
        }
    }

    private static List<float[]> takeGradients(List<NDArray> params) {
        List<float[]> out = new ArrayList<>();
        for (NDArray p : params) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    @Test
    void exposesItsSettingsAndRejectsBadOnes() {
        KlStrength s = KlStrength.constant(0.2);
        CfgAnchoredKl kl = new CfgAnchoredKl(4.5, s);
        assertEquals(4.5, kl.anchorGuidance());
        assertSame(s, kl.strength());
        assertEquals("kl", kl.name());
        assertThrows(IllegalArgumentException.class, () -> new CfgAnchoredKl(-1, s));
        assertThrows(IllegalArgumentException.class, () -> new CfgAnchoredKl(Double.POSITIVE_INFINITY, s));
        assertThrows(IllegalArgumentException.class, () -> new CfgAnchoredKl(4.5, null));
    }
}
