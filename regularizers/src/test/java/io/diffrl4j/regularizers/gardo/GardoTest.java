package io.diffrl4j.regularizers.gardo;

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
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.regularizers.nft.DiffusionNftObjective;
import java.util.List;
import org.junit.jupiter.api.Test;

/** How {@link Gardo} composes the parts, and each ablation. */
class GardoTest {
    private static final ImageEmbedder EMBEDDER = images -> new float[images.count()][1];

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
        Method m = Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).build());
        assertEquals("gardo-flow-grpo", m.name());
        assertEquals(AdapterRoles.POLICY, m.samplingSet());
        assertInstanceOf(FlowGrpoObjective.class, m.objective());
        assertEquals(8, (int) Math.floor(10 * Gardo.flowGrpoBase().trainFraction()), "GARDO trains 8 of 10 steps");
        assertEquals(4.5, m.sampler().guidanceScale(), 0.0);
        assertEquals(1, m.regularizers().size());
        GatedKl kl = assertInstanceOf(GatedKl.class, m.regularizers().get(0));
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
        assertNull(kl.guidance(), "the reference runs at the policy's sampling guidance");
        assertEquals(0.1, kl.k(), 0.0);
        assertEquals(2, m.schedules().size());
        assertInstanceOf(PolicyEma.class, m.schedules().get(0), "GARDO's Flow-GRPO configs: train.ema=True");
        AdaptiveReference ref = assertInstanceOf(AdaptiveReference.class, m.schedules().get(1));
        assertEquals(3e-4, ref.threshold(), 0.0);
        assertEquals(15, ref.config().maxEpochs());
        assertEquals(List.of(AdapterRoles.EMA, AdapterRoles.REFERENCE), m.snapshots());
        assertEquals(AdapterRoles.EMA, m.evaluationSet());
        DiversityAwareAdvantage adv = assertInstanceOf(DiversityAwareAdvantage.class, m.advantages());
        assertSame(EMBEDDER, adv.embedder().orElseThrow());
    }

    @Test
    void eachPartSwitchesOffAlone() {
        Method noGate = Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).optGate(false).build());
        ReferenceKl plain = assertInstanceOf(ReferenceKl.class, noGate.regularizers().get(0));
        assertTrue(!(plain instanceof GatedKl));
        assertEquals(List.of(AdapterRoles.EMA, AdapterRoles.REFERENCE), noGate.snapshots(),
                "the plain KL still uses the adaptive reference");
        assertInstanceOf(AdaptiveReference.class, noGate.schedules().get(1));

        Method noReference = Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).optAdaptiveReference(false)
                .build());
        assertNull(assertInstanceOf(GatedKl.class, noReference.regularizers().get(0)).reference(), "pretrained reference");
        assertEquals(1, noReference.schedules().size(), "only the evaluation EMA");
        assertEquals(List.of(AdapterRoles.EMA), noReference.snapshots());

        Method noDiversity = Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optDiversity(false).build());
        assertInstanceOf(GroupRelativeAdvantage.class, noDiversity.advantages());
        assertTrue(noDiversity.advantages().embedder().isEmpty());

        Method noKl = Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).optKlBeta(0).build());
        assertTrue(noKl.regularizers().isEmpty());
        assertEquals(List.of(AdapterRoles.EMA), noKl.snapshots(), "no KL, no reference; the evaluation EMA stays");
    }

    @Test
    void gardoOnDiffusionNftKeepsTheOldModelAndAddsTheReference() {
        Method m = Gardo.onDiffusionNft(GardoConfig.forDiffusionNft().optEmbedder(EMBEDDER).build());
        assertEquals("gardo-diffusion-nft", m.name());
        assertEquals(AdapterRoles.OLD, m.samplingSet());
        assertInstanceOf(DiffusionNftObjective.class, m.objective());
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.REFERENCE), m.snapshots(), "GARDO's base.py: train.ema = False");
        assertEquals(AdapterRoles.POLICY, m.evaluationSet());
        assertInstanceOf(EmaSchedule.class, m.schedules().get(0));
        AdaptiveReference ref = assertInstanceOf(AdaptiveReference.class, m.schedules().get(1));
        assertEquals(0.15, ref.threshold(), 0.0);
        assertTrue(ref.config().adaptiveThreshold());
        GatedKl kl = assertInstanceOf(GatedKl.class, m.regularizers().get(0));
        assertEquals(1.0, kl.guidance(), 0.0, "velocity MSE at guidance 1");
        assertEquals(AdapterRoles.REFERENCE, kl.reference());
    }

    @Test
    void aUserGateReplacesTheDefaultOne() {
        Method m = Gardo.onFlowGrpo(FlowGrpo.Config.builder().optSteps(6).build(),
                GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).build());
        Method custom = Gardo.replaceGate(m, PositiveProxyGate::new);
        PositiveProxyGate gate = assertInstanceOf(PositiveProxyGate.class, custom.regularizers().get(0));
        assertEquals(AdapterRoles.REFERENCE, gate.reference());
        gate.onEpochScored(RewardTables.batch(), new io.diffrl4j.core.objective.TrainingProgress(0, 0));
        // U = proxy = [.9 .5 .1 .3 .8 .6]; 90th percentile .85 -> only image 0.
        assertEquals(List.of(true, false, false, false, false, false), toList(gate.currentGate()));
        assertSame(m.advantages(), custom.advantages());
        assertThrows(IllegalArgumentException.class, () -> Gardo.replaceGate(
                Gardo.onFlowGrpo(GardoConfig.forFlowGrpo().optEmbedder(EMBEDDER).optGate(false).build()),
                PositiveProxyGate::new));
    }

    @Test
    void configsNameTheirBadField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GardoConfig.forFlowGrpo().build());
        assertTrue(e.getMessage().contains("embedder"), e.getMessage());
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GardoConfig.forFlowGrpo().optDiversity(false)
                .optKlBeta(-1).build()).getMessage().contains("klBeta"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GardoConfig.forDiffusionNft().optDiversity(false)
                .optAdvantageClip(0).build()).getMessage().contains("advantageClip"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> GardoConfig.forDiffusionNft().optDiversity(false)
                .optGateConfig(null).build()).getMessage().contains("gateConfig"));
    }

    private static List<Boolean> toList(boolean[] a) {
        List<Boolean> out = new java.util.ArrayList<>();
        for (boolean b : a) {
            out.add(b);
        }
        return out;
    }
}
