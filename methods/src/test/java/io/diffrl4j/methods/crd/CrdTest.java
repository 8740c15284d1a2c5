package io.diffrl4j.methods.crd;

import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.regularizers.crd.KlStrengthMode;
import io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength;
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
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import io.diffrl4j.core.schedule.PolicyEma;
import org.junit.jupiter.api.Test;

class CrdTest {
    @Test
    void recipeDefaultsAreThePapers() {
        Method crd = Crd.method();
        // The port's num_train_timesteps 20 stratified over the rollout's own 10 levels, shared by a group.
        io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels levels = assertInstanceOf(
                io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels.class, ((CrdObjective) crd.objective()).noiseLevels());
        assertEquals(20, levels.levelsPerSample(), "num_train_timesteps 20");
        assertTrue(levels.sharedWithinGroup());
        assertArrayEquals(java.util.Arrays.copyOf(io.diffrl4j.core.flow.InferenceSchedule.of(10, 3.0).sigmas(), 10),
                levels.levels());
        assertEquals(-1.0, ((CrdObjective) crd.objective()).weightTemp(), "plain-mean centring, as default.yaml");
        assertEquals(new EmaDecay(0, 0.25, 0.005, 0.999), decay(crd, 0));
        assertEquals(new EmaDecay(75, 0.0, 0.0075, 0.999), decay(crd, 1));
    }

    private static EmaDecay decay(Method m, int schedule) {
        return ((EmaSchedule) m.schedules().get(schedule)).decay();
    }

    @Test
    void defaultsComposeTheMethod() {
        Method crd = Crd.method();
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
        assertEquals(0.1, strength.beta());
        assertEquals(1e-4, strength.floor());
        assertEquals(3, crd.schedules().size());
        assertEquals("PolicyEma[ema, decay 0.995 every 10 epochs]", crd.schedules().get(2).toString());
        assertEquals(AdapterRoles.OLD, ((EmaSchedule) crd.schedules().get(0)).target());
        assertEquals(AdapterRoles.SAMPLER, ((EmaSchedule) crd.schedules().get(1)).target());
    }

    @Test
    void everyPartSwitchesAlone() {
        Method onPolicy = Crd.method(SamplerMode.ON_POLICY).without(PolicyEma.STATE_KEY);
        assertEquals(AdapterRoles.POLICY, onPolicy.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD), onPolicy.snapshots());
        assertEquals(1, onPolicy.schedules().size());
        Method collapse = Crd.method(SamplerMode.MOVING_REFERENCE).without(PolicyEma.STATE_KEY);
        assertEquals(AdapterRoles.OLD, collapse.samplingSet());
        assertEquals(List.of(AdapterRoles.OLD), collapse.snapshots());

        assertTrue(Crd.method().without("regularizer:kl").regularizers().isEmpty(), "KL off");
        KlStrength constant = ((CfgAnchoredKl) Crd.method().withRegularizer(new CfgAnchoredKl(4.5,
                KlStrengthMode.CONSTANT.create(0.1, 1e-4))).regularizers().get(0)).strength();
        assertEquals(new KlStrength.Constant(0.1), constant);
        RewardAdaptiveKlStrength perBatch = (RewardAdaptiveKlStrength) ((CfgAnchoredKl) Crd.method().withRegularizer(
                new CfgAnchoredKl(4.5, KlStrengthMode.PER_BATCH.create(0.1, 1e-4))).regularizers().get(0)).strength();
        assertTrue(!perBatch.isPerSample());
        // A new beta keeps the reward-adaptive form and its floor.
        RewardAdaptiveKlStrength rebeta = (RewardAdaptiveKlStrength) ((CfgAnchoredKl) Crd.method().withKlBeta(0.3)
                .regularizers().get(0)).strength();
        assertEquals(0.3, rebeta.beta());
        assertEquals(1e-4, rebeta.floor());
        assertTrue(rebeta.isPerSample());

        CrdObjective port = (CrdObjective) Crd.method().withObjective(new CrdObjective(0.5, ImplicitRewardForm.PLAIN,
                CenteringScope.MICRO_BATCH, MatchingLoss.BCE, new io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels(),
                AdapterRoles.OLD)).objective();
        assertEquals(CenteringScope.MICRO_BATCH, port.scope());
        assertEquals(MatchingLoss.BCE, port.loss());
        assertEquals(ImplicitRewardForm.PLAIN, port.form());
        assertEquals(0.5, port.beta());

        Method parsed = Crd.method().withSchedule(Crd.oldEma(EmaDecay.parse("5-0.5-0.01-0.9")))
                .withSchedule(Crd.samplerEma(EmaDecay.parse("10-0.0-0.1-0.95")));
        assertEquals(new EmaDecay(5, 0.5, 0.01, 0.9), decay(parsed, 0));
        assertEquals(new EmaDecay(10, 0.0, 0.1, 0.95), decay(parsed, 1));
        assertEquals(Crd.method().snapshots(), parsed.snapshots(), "replaced by key, not added");
    }

    @Test
    void decaysFollowTheirSchedulesIncludingBeforeTheStart() {
        EmaDecay old = decay(Crd.method(), 0);
        EmaDecay sampler = decay(Crd.method(), 1);
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
        Method crd = Crd.method();
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
                double dOld = decay(Crd.method(), 0).at(step);
                double dSampler = decay(Crd.method(), 1).at(step);
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
        Method collapse = Crd.method(SamplerMode.MOVING_REFERENCE).withSampler(Crd.sampler().optSteps(4).optShift(1.0).build())
                .withObjective(new CrdObjective(CrdObjective.DEFAULT_BETA, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT,
                        MatchingLoss.MSE, new io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels(
                                io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels.PORT_PASSES, 4, 1.0,
                                io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels.PORT_RANGE), AdapterRoles.OLD));
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = new ToyFlowModel(m, 2, 0.0, 1.0, 2, 7)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(1));
            perturb(policy, 2);
            collapse.snapshots().forEach(s -> model.adapters().copyOf(s, policy, false));
            Rollout r = model.adapters().with(collapse.samplingSet(), () -> collapse.sampler().sample(m, model,
                    Conditioning.none(2), Conditioning.none(2), 3, new Shape(2), new SeededNoise(3)));
            model.adapters().use(AdapterRoles.POLICY);
            MicroBatch mb = new MicroBatch(m, new MicroBatch.Place(new int[] {0, 1, 2, 3, 4, 5}, 3),
                new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(6), Conditioning.none(6), collapse.sampler()),
                new MicroBatch.Scored(m.create(new float[] {1, -1, 0, 2, -2, 0}), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(4)));
            CrdObjective objective = (CrdObjective) collapse.objective();
            for (int j = 0; j < objective.passes(mb); j++) {
                assertArrayEquals(new float[6], objective.forward(mb, j, model).rho().toFloatArray(), 0f, "pass " + j);
            }
        }
    }

    @Test
    void badSettingsAreRefusedByTheStrategyThatOwnsThem() {
        io.diffrl4j.core.flow.TrainingNoiseLevels levels = new io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels();
        assertMessage("betaCrd", () -> new CrdObjective(0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                levels, AdapterRoles.OLD));
        assertMessage("implicitReward", () -> new CrdObjective(1, null, CenteringScope.PROMPT, MatchingLoss.MSE, levels, null));
        assertMessage("centering", () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, null, MatchingLoss.MSE, levels, null));
        assertMessage("loss", () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT, null, levels, null));
        assertMessage("beta", () -> Crd.kl(-1));
        assertMessage("klFloor", () -> RewardAdaptiveKlStrength.perSample(0.1, 0.5));
        assertMessage("klGuidance", () -> new CfgAnchoredKl(Double.NaN, KlStrength.constant(0.1)));
        assertMessage("strength", () -> new CfgAnchoredKl(4.5, null));
        assertMessage("anchored to the pretrained model", () -> Crd.kl(0.1).with(AdapterRoles.REFERENCE, KlStrength.constant(0.1)));
        assertMessage("decay", () -> Crd.oldEma(null));
        assertMessage("guidanceScale", () -> Crd.sampler().optGuidanceScale(-1).build());
        assertMessage("steps", () -> Crd.sampler().optSteps(0).build());
        assertMessage("shift", () -> Crd.sampler().optShift(0).build());
        assertMessage("clip", () -> new GroupRelativeAdvantage(true, 0));
        assertMessage("start-d0-slope-dmax", () -> EmaDecay.parse("75-0.0-0.0075"));
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
            io.diffrl4j.core.objective.MicroBatch mb = new MicroBatch(m, new MicroBatch.Place(rows, 3),
                new MicroBatch.Drawn(m.zeros(new ai.djl.ndarray.types.Shape(6, 2)), List.of(), io.diffrl4j.core.model.Conditioning.none(6), null, null),
                new MicroBatch.Scored(m.zeros(new ai.djl.ndarray.types.Shape(6)), null), new MicroBatch.Update(new io.diffrl4j.core.objective.TrainingProgress(0, 0), new io.diffrl4j.core.flow.SeededNoise(3)));
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
        double[] crd = Crd.method().advantages().estimate(rewards);
        assertArrayEquals(new double[] {-1, 1, -1, 1}, crd, 1e-12);
        double[] grpo = io.diffrl4j.methods.flowgrpo.FlowGrpo.method().advantages().estimate(rewards);
        assertEquals(0.5 / 0.5001, grpo[1], 1e-12);
    }

    @Test
    void useOldForLossFalseComparesWithThePretrainedModel() {
        assertEquals(io.diffrl4j.core.adapter.AdapterRoles.OLD, ((CrdObjective) Crd.method().objective()).oldSet());
        CrdObjective pretrained = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                new io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels(), null);
        assertEquals(null, pretrained.oldSet());
        assertTrue(pretrained.adapterSets().isEmpty(), "no moving reference to snapshot");
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
        assertEquals(-1.0, ((CrdObjective) Crd.method().objective()).weightTemp());
        assertEquals(0.5, new CrdObjective().withWeightTemp(0.5).weightTemp());
    }
}
