package io.diffrl4j.regularizers.crd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.testing.ToyFlowModel;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.Test;

class CrdTest {
    @Test
    void configDefaultsAreThePapers() {
        Crd.Config c = Crd.Config.builder().build();
        assertEquals(1.0, c.betaCrd());
        assertEquals(ImplicitRewardForm.ADAPTIVE, c.implicitReward());
        assertEquals(CenteringScope.PROMPT, c.centering());
        assertEquals(MatchingLoss.MSE, c.loss());
        // The port's num_train_timesteps 20 stratified over the rollout's own 10 levels, shared by a group.
        io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels levels = assertInstanceOf(
                io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels.class, c.noiseLevels());
        assertEquals(20, levels.levelsPerSample(), "num_train_timesteps 20");
        assertTrue(levels.sharedWithinGroup());
        assertArrayEquals(java.util.Arrays.copyOf(io.diffrl4j.core.flow.InferenceSchedule.of(10, 3.0).sigmas(), 10),
                levels.levels());
        assertEquals(0.1, c.klBeta());
        assertEquals(1e-4, c.klFloor());
        assertEquals(4.5, c.klGuidance());
        assertEquals(KlStrengthMode.PER_SAMPLE, c.klStrength());
        assertEquals(SamplerMode.DECOUPLED, c.samplerMode());
        assertEquals(new EmaDecay(0, 0.25, 0.005, 0.999), c.oldDecay());
        assertEquals(new EmaDecay(75, 0.0, 0.0075, 0.999), c.samplerDecay());
        assertEquals(1.0, c.guidanceScale());
        assertEquals(10, c.steps());
        assertEquals(3.0, c.shift());
        assertTrue(c.globalStd());
        assertEquals(5.0, c.advantageClip());
    }

    @Test
    void defaultsComposeTheMethod() {
        Method crd = Crd.defaults();
        assertEquals("crd", crd.name());
        assertEquals(AdapterRoles.SAMPLER, crd.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.SAMPLER, AdapterRoles.EMA), crd.snapshots());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, crd.sampler());
        assertEquals(1.0, sampler.guidanceScale());
        assertEquals(10, sampler.schedule().steps());
        assertInstanceOf(GroupRelativeAdvantage.class, crd.advantages());
        CrdObjective objective = assertInstanceOf(CrdObjective.class, crd.objective());
        assertEquals(1.0, objective.beta());
        assertEquals(ImplicitRewardForm.ADAPTIVE, objective.form());
        assertEquals(CenteringScope.PROMPT, objective.scope());
        assertEquals(MatchingLoss.MSE, objective.loss());
        assertEquals(AdapterRoles.OLD, objective.oldSet());
        assertEquals(1, crd.regularizers().size());
        CfgAnchoredKl kl = assertInstanceOf(CfgAnchoredKl.class, crd.regularizers().get(0));
        assertEquals(4.5, kl.anchorGuidance());
        RewardAdaptiveKlStrength strength = assertInstanceOf(RewardAdaptiveKlStrength.class, kl.strength());
        assertTrue(strength.isPerSample());
        assertEquals(0.1, strength.klBeta());
        assertEquals(1e-4, strength.floor());
        assertEquals(3, crd.schedules().size());
        assertEquals("PolicyEma[ema, decay 0.995 every 10 epochs]", crd.schedules().get(2).toString());
        assertEquals(AdapterRoles.OLD, ((EmaSchedule) crd.schedules().get(0)).target());
        assertEquals(AdapterRoles.SAMPLER, ((EmaSchedule) crd.schedules().get(1)).target());
    }

    @Test
    void everyPartSwitchesAlone() {
        Method onPolicy = Crd.defaults(Crd.Config.builder().optSamplerMode(SamplerMode.ON_POLICY).optEma(false).build());
        assertEquals(AdapterRoles.POLICY, onPolicy.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD), onPolicy.snapshots());
        assertEquals(1, onPolicy.schedules().size());
        Method collapse = Crd.defaults(Crd.Config.builder().optSamplerMode(SamplerMode.MOVING_REFERENCE).optEma(false)
                .build());
        assertEquals(AdapterRoles.OLD, collapse.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD), collapse.snapshots());

        assertTrue(Crd.defaults(Crd.Config.builder().optKlBeta(0).build()).regularizers().isEmpty(), "KL off");
        KlStrength constant = ((CfgAnchoredKl) Crd.defaults(Crd.Config.builder().optKlStrength(KlStrengthMode.CONSTANT)
                .build()).regularizers().get(0)).strength();
        assertTrue(!(constant instanceof RewardAdaptiveKlStrength));
        RewardAdaptiveKlStrength perBatch = (RewardAdaptiveKlStrength) ((CfgAnchoredKl) Crd.defaults(Crd.Config.builder()
                .optKlStrength(KlStrengthMode.PER_BATCH).build()).regularizers().get(0)).strength();
        assertTrue(!perBatch.isPerSample());
        assertEquals(1.0, ((CfgAnchoredKl) Crd.defaults(Crd.Config.builder().optKlGuidance(1.0).build())
                .regularizers().get(0)).anchorGuidance());

        CrdObjective port = (CrdObjective) Crd.defaults(Crd.Config.builder().optCentering(CenteringScope.MICRO_BATCH)
                .optLoss(MatchingLoss.BCE).optImplicitReward(ImplicitRewardForm.PLAIN).optBetaCrd(0.5).build()).objective();
        assertEquals(CenteringScope.MICRO_BATCH, port.scope());
        assertEquals(MatchingLoss.BCE, port.loss());
        assertEquals(ImplicitRewardForm.PLAIN, port.form());
        assertEquals(0.5, port.beta());
        // Each switch leaves the other parts at their defaults.
        Method bce = Crd.defaults(Crd.Config.builder().optLoss(MatchingLoss.BCE).build());
        assertEquals(AdapterRoles.SAMPLER, bce.samplingSet());
        assertEquals(CenteringScope.PROMPT, ((CrdObjective) bce.objective()).scope());
        assertEquals(1, bce.regularizers().size());

        Crd.Config parsed = Crd.Config.builder().optOldDecay("5-0.5-0.01-0.9").optSamplerDecay("10-0.0-0.1-0.95").build();
        assertEquals(new EmaDecay(5, 0.5, 0.01, 0.9), parsed.oldDecay());
        assertEquals(new EmaDecay(10, 0.0, 0.1, 0.95), parsed.samplerDecay());
    }

    @Test
    void decaysFollowTheirSchedulesIncludingBeforeTheStart() {
        Crd.Config c = Crd.Config.builder().build();
        EmaDecay old = c.oldDecay();
        EmaDecay sampler = c.samplerDecay();
        assertEquals(0.25, old.at(0), 1e-12);
        assertEquals(0.30, old.at(10), 1e-12);
        assertEquals(0.75, old.at(100), 1e-12);
        assertEquals(0.999, old.at(150), 1e-12);
        assertEquals(0.999, old.at(10_000), 1e-12);
        // The sampler is on-policy (d = 0) until step 75, then ramps.
        assertEquals(0.0, sampler.at(0), 0.0);
        assertEquals(0.0, sampler.at(74), 0.0);
        assertEquals(0.0, sampler.at(75), 0.0);
        assertEquals(0.0075, sampler.at(76), 1e-12);
        assertEquals(0.75, sampler.at(175), 1e-12);
        assertEquals(0.999, sampler.at(300), 1e-12);
    }

    private static float[] flat(AdapterSet set) {
        return set.parameters().stream().map(NDArray::toFloatArray).reduce(new float[0], (a, b) -> {
            float[] out = java.util.Arrays.copyOf(a, a.length + b.length);
            System.arraycopy(b, 0, out, a.length, b.length);
            return out;
        });
    }

    private static void perturb(AdapterSet set, long seed) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(0.3));
        }
    }

    @Test
    void samplerAndReferenceSnapshotsMoveOnTheirOwnSchedules() {
        Method crd = Crd.defaults();
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 2, 0.0, 1.0, 2, 7)) {
            Adapters adapters = model.adapters();
            AdapterSet policy = adapters.create(AdapterRoles.POLICY, true, new SeededNoise(1));
            // As the trainer does: every snapshot starts as a copy of the initial policy.
            crd.snapshots().forEach(s -> adapters.copyOf(s, policy, false));
            Consumer<Long> afterEpoch = step -> crd.schedules().forEach(
                    s -> s.afterEpoch(adapters, new TrainingProgress(0, step), Map.of()));
            long[] steps = {10, 100};
            for (long step : steps) {
                float[] oldBefore = flat(adapters.get(AdapterRoles.OLD));
                float[] samplerBefore = flat(adapters.get(AdapterRoles.SAMPLER));
                perturb(policy, step);
                float[] theta = flat(policy);
                afterEpoch.accept(step);
                float[] oldAfter = flat(adapters.get(AdapterRoles.OLD));
                float[] samplerAfter = flat(adapters.get(AdapterRoles.SAMPLER));
                double dOld = Crd.Config.builder().build().oldDecay().at(step);
                double dSampler = Crd.Config.builder().build().samplerDecay().at(step);
                for (int i = 0; i < theta.length; i++) {
                    assertEquals(dOld * oldBefore[i] + (1 - dOld) * theta[i], oldAfter[i], 1e-6, "old at step " + step);
                    assertEquals(dSampler * samplerBefore[i] + (1 - dSampler) * theta[i], samplerAfter[i], 1e-6,
                            "sampler at step " + step);
                }
                if (step < 75) {
                    assertArrayEquals(theta, samplerAfter, 0f, "before its start the sampler follows the policy");
                }
            }
            // Three different parameter sets now: the sampler is neither the policy nor the reference.
            assertTrue(!java.util.Arrays.equals(flat(adapters.get(AdapterRoles.OLD)), flat(adapters.get(AdapterRoles.SAMPLER))));
            assertTrue(!java.util.Arrays.equals(flat(policy), flat(adapters.get(AdapterRoles.SAMPLER))));
        }
    }

    @Test
    void withTheSamplerAsTheMovingReferenceTheFirstStepHasNoImplicitReward() {
        // The collapse the decoupling avoids: at the first step every snapshot is the policy, and with
        // rollouts from "old" the ratio signal rho is identically zero on them.
        Method collapse = Crd.defaults(Crd.Config.builder().optSamplerMode(SamplerMode.MOVING_REFERENCE).optSteps(4)
                .optShift(1.0).build());
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 2, 0.0, 1.0, 2, 7)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(1));
            perturb(policy, 2);
            collapse.snapshots().forEach(s -> model.adapters().copyOf(s, policy, false));
            Rollout r = model.adapters().with(collapse.samplingSet(), () -> collapse.sampler().sample(m, model,
                    Conditioning.none(2), Conditioning.none(2), 3, new Shape(2), new SeededNoise(3)));
            model.adapters().use(AdapterRoles.POLICY);
            MicroBatch mb = new MicroBatch(m, new int[] {0, 1, 2, 3, 4, 5}, 3, r.samples(), r.steps(), Conditioning.none(6),
                    Conditioning.none(6), m.create(new float[] {1, -1, 0, 2, -2, 0}), null, collapse.sampler(),
                    new TrainingProgress(0, 0), new SeededNoise(4));
            CrdObjective objective = (CrdObjective) collapse.objective();
            for (int j = 0; j < objective.passes(mb); j++) {
                assertArrayEquals(new float[6], objective.forward(mb, j, model).rho().toFloatArray(), 0f, "pass " + j);
            }
        }
    }

    @Test
    void buildNamesTheBadField() {
        assertMessage("betaCrd", () -> Crd.Config.builder().optBetaCrd(0).build());
        assertMessage("implicitReward", () -> Crd.Config.builder().optImplicitReward(null).build());
        assertMessage("centering", () -> Crd.Config.builder().optCentering(null).build());
        assertMessage("loss", () -> Crd.Config.builder().optLoss(null).build());
        assertMessage("klBeta", () -> Crd.Config.builder().optKlBeta(-1).build());
        assertMessage("klFloor", () -> Crd.Config.builder().optKlFloor(0.5).build());
        assertMessage("klGuidance", () -> Crd.Config.builder().optKlGuidance(Double.NaN).build());
        assertMessage("klStrength", () -> Crd.Config.builder().optKlStrength(null).build());
        assertMessage("samplerMode", () -> Crd.Config.builder().optSamplerMode(null).build());
        assertMessage("oldDecay", () -> Crd.Config.builder().optOldDecay((EmaDecay) null).build());
        assertMessage("samplerDecay", () -> Crd.Config.builder().optSamplerDecay((EmaDecay) null).build());
        assertMessage("guidanceScale", () -> Crd.Config.builder().optGuidanceScale(-1).build());
        assertMessage("steps", () -> Crd.Config.builder().optSteps(0).build());
        assertMessage("shift", () -> Crd.Config.builder().optShift(0).build());
        assertMessage("advantageClip", () -> Crd.Config.builder().optAdvantageClip(0).build());
        assertMessage("start-d0-slope-dmax", () -> Crd.Config.builder().optSamplerDecay("75-0.0-0.0075"));
        // With the KL off the floor is not used and not checked.
        Crd.Config.builder().optKlBeta(0).optKlFloor(0.5).build();
    }

    private static void assertMessage(String field, org.junit.jupiter.api.function.Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().contains(field), "message names " + field + ": " + e.getMessage());
    }

    @Test
    void theImagesOfAGroupShareTheirPassLevels() {
        // The port draws one timestep per pass for the whole batch; here every image of a group gets the
        // same row, also with strata wide enough for the draw to be random (4 passes).
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            int[] rows = {0, 1, 2, 3, 4, 5};
            io.diffrl4j.core.objective.MicroBatch mb = new io.diffrl4j.core.objective.MicroBatch(m, rows, 3,
                    m.zeros(new ai.djl.ndarray.types.Shape(6, 2)), List.of(), io.diffrl4j.core.model.Conditioning.none(6),
                    null, m.zeros(new ai.djl.ndarray.types.Shape(6)), null, null,
                    new io.diffrl4j.core.objective.TrainingProgress(0, 0), new io.diffrl4j.core.flow.SeededNoise(3));
            double[][] shared = mb.rowLevels(new io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels(4, 10, 3.0, 0.99), 7);
            for (int i = 0; i < 6; i++) {
                assertArrayEquals(shared[3 * (i / 3)], shared[i], 0.0, "row " + i);
            }
            double[][] own = mb.rowLevels(new DiscreteNoiseLevels(), 7);
            assertTrue(!java.util.Arrays.equals(own[0], own[1]), "per-image permutations differ");
        }
    }

    @Test
    void advantagesDivideByTheStdFlooredAt1e6AsFlowFactory() {
        // Rewards {0, 1, 0, 1} in groups of 2: global std 0.5. Flow-Factory: (r - mean) / max(0.5, 1e-6) = +-1
        // exactly; Flow-GRPO's (r - mean) / (0.5 + 1e-4) = +-0.99980004.
        double[] r = {0, 1, 0, 1};
        io.diffrl4j.core.reward.RewardBatch rewards = new io.diffrl4j.core.reward.RewardBatch("r", Map.of("r", r), null,
                java.util.Collections.nCopies(4, io.diffrl4j.core.reward.Prompt.of("p")), 2);
        double[] crd = Crd.defaults().advantages().estimate(rewards);
        assertArrayEquals(new double[] {-1, 1, -1, 1}, crd, 1e-12);
        double[] grpo = io.diffrl4j.regularizers.flowgrpo.FlowGrpo.defaults().advantages().estimate(rewards);
        assertEquals(0.5 / 0.5001, grpo[1], 1e-12);
    }

    @Test
    void useOldForLossFalseComparesWithThePretrainedModel() {
        assertTrue(Crd.Config.builder().build().useOldForLoss());
        assertEquals(io.diffrl4j.core.adapter.AdapterRoles.OLD, ((CrdObjective) Crd.defaults().objective()).oldSet());
        CrdObjective pretrained = (CrdObjective) Crd.defaults(Crd.Config.builder().optUseOldForLoss(false).build()).objective();
        assertEquals(null, pretrained.oldSet());
    }

    @Test
    void weightTempCentresInTwoDirectionsAsThePort() {
        // By hand from _compute_crd_loss (MSE, beta 1, one group): r~ = {0.5, 0.7, 0.2}, rho = {0.1, -0.2, 0.3};
        // L = 5 (mean((Pc+ - Rc+)^2) + mean((Pc- - Rc-)^2)) / 2 with the softmax-weighted centres.
        // T = 0.5: p+ = softmax(r~ / 0.5), p- = softmax(-r~ / 0.5) -> 0.96142796509;
        // T = 0: p+ = softmax(r~) over r~ > 0 (all), p- uniform (no r~ < 0) -> 0.84978404527;
        // T < 0: plain means -> 0.83333333333.
        try (ai.djl.ndarray.NDManager m = ai.djl.ndarray.NDManager.newBaseManager()) {
            ai.djl.ndarray.NDArray rTilde = m.create(new float[] {0.5f, 0.7f, 0.2f});
            ai.djl.ndarray.NDArray rho = m.create(new float[] {0.1f, -0.2f, 0.3f});
            double[] temps = {0.5, 0.0, -1.0};
            double[] expected = {0.9614279650929303, 0.8497840452727228, 0.8333333333333333};
            for (int k = 0; k < temps.length; k++) {
                double got = CenteredRewardMatching.loss(rho, rTilde, 3, 1.0, CenteringScope.PROMPT, MatchingLoss.MSE,
                        temps[k]).getFloat();
                assertEquals(expected[k], got, 1e-6, "T = " + temps[k]);
            }
        }
        assertEquals(-1.0, Crd.Config.builder().build().weightTemp());
        assertEquals(0.5, ((CrdObjective) Crd.defaults(Crd.Config.builder().optWeightTemp(0.5).build()).objective())
                .weightTemp());
    }
}
