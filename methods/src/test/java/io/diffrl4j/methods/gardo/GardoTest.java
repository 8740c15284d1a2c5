package io.diffrl4j.methods.gardo;

import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.regularizers.gardo.RewardTables;
import io.diffrl4j.regularizers.gardo.RewardUncertainty;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@link Gardo} composes the parts, and each ablation. */
class GardoTest {
    static final ImageEmbedder EMBEDDER = images -> new float[images.count()][1];

    /** A user's gate: everything with a positive proxy reward is uncertain. */
    static final class PositiveProxyGate extends GatedKl {
        PositiveProxyGate(GatedKl template) {
            super(template);
        }

        @Override
        protected double[] uncertainty(RewardBatch rewards) {
            return rewards.proxy();
        }
    }

    @Test
    void gardoOnFlowGrpoHasAllThreeParts() {
        Method m = Gardo.onFlowGrpo(EMBEDDER);
        assertEquals("gardo-flow-grpo", m.name());
        assertEquals(AdapterRoles.POLICY, m.samplingSet());
        assertInstanceOf(FlowGrpoObjective.class, m.objective());
        try (ai.djl.ndarray.NDManager nd = ai.djl.ndarray.NDManager.newBaseManager()) {
            assertEquals(8, m.sampler().sample(nd, new io.diffrl4j.core.testing.GaussianVelocityField(0.5, 0.8),
                    io.diffrl4j.core.model.Conditioning.none(1), io.diffrl4j.core.model.Conditioning.none(1), 1,
                    new ai.djl.ndarray.types.Shape(2), new io.diffrl4j.core.flow.SeededNoise(1)).steps().size(),
                    "GARDO trains 8 of 10 steps");
        }
        assertEquals(4.5, m.sampler().guidanceScale(), 0.0);
        assertEquals(1, m.regularizers().size());
        GatedKl kl = assertInstanceOf(GatedKl.class, m.regularizers().get(0));
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
        assertNull(kl.guidance(), "the reference runs at the policy's sampling guidance");
        assertEquals(0.1, kl.k(), 0.0);
        assertEquals(new KlStrength.Constant(0.07), kl.strength(), "config/gardo.py: beta 0.07");
        assertEquals(RewardUncertainty.paper(), kl.measure());
        assertEquals(2, m.schedules().size());
        assertInstanceOf(PolicyEma.class, m.schedules().get(0), "GARDO's Flow-GRPO configs: train.ema=True");
        AdaptiveReference ref = assertInstanceOf(AdaptiveReference.class, m.schedules().get(1));
        assertEquals(3e-4, ref.threshold(), 0.0);
        assertEquals(15, ref.maxEpochs());
        assertEquals(AdaptiveReference.GATED_METRIC, ref.metric());
        assertEquals(List.of(AdapterRoles.EMA, AdapterRoles.REFERENCE), m.snapshots());
        assertEquals(AdapterRoles.EMA, m.evaluationSet());
        DiversityAwareAdvantage adv = assertInstanceOf(DiversityAwareAdvantage.class, m.advantages());
        assertSame(EMBEDDER, adv.embedder().orElseThrow());
    }

    @Test
    void eachPartSwitchesOffAlone() {
        Method noGate = Gardo.withAdaptiveReference(Gardo.flowGrpoBase(), AdaptiveReference.flowGrpo());
        ReferenceKl plain = assertInstanceOf(ReferenceKl.class, noGate.regularizers().get(0));
        assertTrue(!(plain instanceof GatedKl));
        assertEquals(List.of(AdapterRoles.EMA, AdapterRoles.REFERENCE), noGate.snapshots(),
                "the plain KL still uses the adaptive reference");
        assertEquals(AdaptiveReference.UNGATED_METRIC,
                assertInstanceOf(AdaptiveReference.class, noGate.schedules().get(1)).metric(), "no gate: the plain KL");
        assertEquals(new KlStrength.Constant(0.07), plain.strength());

        Method noReference = Gardo.withGate(Gardo.flowGrpoBase(), GatedKl.builder());
        assertNull(assertInstanceOf(GatedKl.class, noReference.regularizers().get(0)).reference(), "pretrained reference");
        assertEquals(1, noReference.schedules().size(), "only the evaluation EMA");
        assertEquals(List.of(AdapterRoles.EMA), noReference.snapshots());

        Method noDiversity = Gardo.on(Gardo.flowGrpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo());
        assertInstanceOf(GroupRelativeAdvantage.class, noDiversity.advantages());
        assertTrue(noDiversity.advantages().embedder().isEmpty());

        Method noKl = FlowGrpo.method(FlowGrpo.sampler().build(), 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Gardo.on(noKl, GatedKl.builder(), AdaptiveReference.flowGrpo()));
        assertTrue(e.getMessage().contains("has 0 (give it one"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Gardo.withAdaptiveReference(noKl, AdaptiveReference.flowGrpo()));
        assertThrows(IllegalArgumentException.class, () -> Gardo.withGate(Gardo.onFlowGrpo(EMBEDDER), GatedKl.builder()),
                "gated twice");
    }

    @Test
    void gardoOnDiffusionNftKeepsTheOldModelAndAddsTheReference() {
        Method m = Gardo.onDiffusionNft(EMBEDDER);
        assertEquals("gardo-diffusion-nft", m.name());
        assertEquals(AdapterRoles.OLD, m.samplingSet());
        assertInstanceOf(DiffusionNftObjective.class, m.objective());
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.REFERENCE), m.snapshots(), "GARDO's base.py: train.ema = False");
        assertEquals(AdapterRoles.POLICY, m.evaluationSet());
        assertInstanceOf(EmaSchedule.class, m.schedules().get(0));
        AdaptiveReference ref = assertInstanceOf(AdaptiveReference.class, m.schedules().get(1));
        assertEquals(0.15, ref.threshold(), 0.0);
        assertTrue(ref.adaptiveThreshold());
        GatedKl kl = assertInstanceOf(GatedKl.class, m.regularizers().get(0));
        assertEquals(new KlStrength.Constant(0.04), kl.strength(), "GARDO's NFT config: beta 0.04");
        assertTrue(kl.klOnAllWhenNoneGated());
        assertEquals(1.0, kl.guidance(), 0.0, "velocity MSE at guidance 1");
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
    }

    @Test
    void aUserGateReplacesTheDefaultOne() {
        Method m = Gardo.on(FlowGrpo.method(FlowGrpo.sampler().optSteps(6).build(), 0.07), GatedKl.builder(),
                AdaptiveReference.flowGrpo()).withAdvantages(new DiversityAwareAdvantage(EMBEDDER));
        Method custom = Gardo.replaceGate(m, PositiveProxyGate::new);
        PositiveProxyGate gate = assertInstanceOf(PositiveProxyGate.class, custom.regularizers().get(0));
        assertEquals(AdapterRoles.REFERENCE, gate.reference());
        gate.onEpochScored(RewardTables.batch(), new io.diffrl4j.core.objective.TrainingProgress(0, 0));
        // U = proxy = [.9 .5 .1 .3 .8 .6]; 90th percentile .85 -> only image 0.
        assertEquals(List.of(true, false, false, false, false, false), toList(gate.currentGate()));
        assertSame(m.advantages(), custom.advantages());
        assertThrows(IllegalArgumentException.class, () -> Gardo.replaceGate(
                Gardo.withAdaptiveReference(Gardo.flowGrpoBase(), AdaptiveReference.flowGrpo()),
                PositiveProxyGate::new));
    }

    @Test
    void theRecipesGateAsTheirScriptsAndRenewOnTheKlTheyRegularise() {
        // GARDO's NFT script applies the KL to every sample of a micro-batch with nothing gated.
        assertTrue(((GatedKl) Gardo.onDiffusionNft(EMBEDDER).regularizers().get(0)).klOnAllWhenNoneGated());
        assertTrue(!((GatedKl) Gardo.onFlowGrpo(EMBEDDER).regularizers().get(0)).klOnAllWhenNoneGated());
        // With the gate off there is no gated KL: GARDO compares the plain one.
        for (boolean gate : new boolean[] {true, false}) {
            Method base = gate ? Gardo.withGate(Gardo.flowGrpoBase(), GatedKl.builder())
                    : Gardo.flowGrpoBase();
            Method method = Gardo.withAdaptiveReference(base, AdaptiveReference.flowGrpo());
            AdaptiveReference renewal = method.schedules().stream().filter(AdaptiveReference.class::isInstance)
                    .map(AdaptiveReference.class::cast).findFirst().orElseThrow();
            assertEquals(gate ? "kl_gated" : "kl", renewal.metric());
        }
    }

    @Test
    void gardoOnAnyBaseKeepsItsBeta() {
        // The base's KL setting survives wrapping: form, guidance and beta are the base's.
        Method base = FlowGrpo.method().withRegularizer(new ReferenceKl(null, null, io.diffrl4j.core.objective.KlForm.PAPER,
                KlStrength.constant(0.013)));
        Method m = Gardo.on(base, GatedKl.builder(), AdaptiveReference.flowGrpo());
        assertEquals("gardo-flow-grpo", m.name());
        GatedKl kl = assertInstanceOf(GatedKl.class, m.regularizers().get(0));
        assertEquals(new KlStrength.Constant(0.013), kl.strength());
        assertEquals(io.diffrl4j.core.objective.KlForm.PAPER, kl.form());
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
        // and a later beta keeps the gate and the renewed reference
        GatedKl rebeta = assertInstanceOf(GatedKl.class, m.withKlBeta(0.5).regularizers().get(0));
        assertEquals(new KlStrength.Constant(0.5), rebeta.strength());
        assertEquals(AdapterRoles.REFERENCE, rebeta.reference());
        assertEquals(kl.measure(), rebeta.measure());
        // CRD's CFG-anchored KL can be gated, but its anchor is the pretrained model by definition
        assertInstanceOf(GatedKl.class, Gardo.withGate(io.diffrl4j.methods.crd.Crd.method(), GatedKl.builder())
                .regularizers().get(0));
        assertThrows(IllegalArgumentException.class, () -> Gardo.withAdaptiveReference(
                io.diffrl4j.methods.crd.Crd.method(), AdaptiveReference.flowGrpo()));
    }

    @Test
    void badSettingsNameTheirField() {
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DiversityAwareAdvantage(null))
                .getMessage().contains("embedder"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> new DiversityAwareAdvantage(EMBEDDER, 0))
                .getMessage().contains("clip"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatedKl.builder().optUncertainty(null))
                .getMessage().contains("uncertainty"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GatedKl.builder().optKRange(0.3, 0.2)
                .gating(FlowGrpo.kl(0.04))).getMessage().startsWith("kRange"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AdaptiveReference.flowGrpo().optMaxEpochs(0).build())
                .getMessage().startsWith("maxEpochs"));
    }

    private static List<Boolean> toList(boolean[] a) {
        List<Boolean> out = new java.util.ArrayList<>();
        for (boolean b : a) {
            out.add(b);
        }
        return out;
    }
}
