package io.diffrl4j.methods.flowgrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.testing.GaussianVelocityField;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlowGrpoTest {
    /** A prediction with policy - reference = 2 everywhere and klScale 1 (CODE) or 10 (PAPER). */
    static final class StubPrediction implements Prediction {
        final NDManager m;
        final double guidance;
        final List<Object[]> calls = new ArrayList<>();

        StubPrediction(NDManager m, double guidance) {
            this.m = m;
            this.guidance = guidance;
        }

        @Override
        public NDArray policy() {
            return m.ones(new Shape(2, 3)).mul(2f);
        }

        @Override
        public NDArray under(String adapterSet, double w) {
            calls.add(new Object[] {adapterSet, w});
            return m.zeros(new Shape(2, 3));
        }

        @Override
        public double guidance() {
            return guidance;
        }

        @Override
        public NDArray klScale(KlForm form) {
            return m.create(form == KlForm.CODE ? 1f : 10f);
        }
    }

    static MicroBatch stubBatch(NDManager m) {
        return new MicroBatch(m, new MicroBatch.Place(new int[] {0, 1}, 2),
                new MicroBatch.Drawn(null, List.of(), null, null, null),
                new MicroBatch.Scored(null, null), new MicroBatch.Update(null, null));
    }

    /** Two groups with different spreads: global and per-group std give different advantages. */
    static double[] advantagesOf(GroupRelativeAdvantage estimator) {
        double[] r = {0, 1, 0, 10};
        List<Prompt> prompts = new ArrayList<>(Collections.nCopies(4, Prompt.of("p")));
        return estimator.estimate(new RewardBatch("r", Map.of("r", r), null, prompts, 2));
    }

    @Test
    void recipeDefaultsAreTheSd35MediumRecipe() {
        Method method = FlowGrpo.method();
        ReferenceKl kl = (ReferenceKl) method.regularizers().get(0);
        assertEquals(new KlStrength.Constant(0.04), kl.strength());
        assertEquals(KlForm.CODE, kl.form());
        assertEquals(null, kl.reference());
        assertEquals(null, kl.guidance(), "the KL's reference runs at the sampling guidance");
        FlowGrpoSdeStep step = (FlowGrpoSdeStep) method.sampler().stochasticStep();
        assertEquals(LogProbReduction.MEAN, step.reduction());
        assertFalse(((FlowGrpoObjective) method.objective()).detachUnconditional());
        assertEquals(0.0, ((FlowGrpoObjective) method.objective()).klReward());
    }

    @Test
    void defaultsComposeTheFlowGrpoMethod() {
        Method method = FlowGrpo.method();
        assertEquals("flow-grpo", method.name());
        assertEquals(AdapterRoles.POLICY, method.samplingSet());
        TrajectorySampler sampler = assertInstanceOf(TrajectorySampler.class, method.sampler());
        assertEquals(4.5, sampler.guidanceScale());
        assertEquals(10, sampler.schedule().steps());
        assertEquals(3.0, sampler.schedule().shift());
        FlowGrpoSdeStep step = assertInstanceOf(FlowGrpoSdeStep.class, sampler.stochasticStep());
        assertEquals(0.7, step.noiseLevel());
        FlowGrpoObjective objective = assertInstanceOf(FlowGrpoObjective.class, method.objective());
        assertEquals(1e-4, objective.clipRange());
        GroupRelativeAdvantage advantages = assertInstanceOf(GroupRelativeAdvantage.class, method.advantages());
        double[] a = advantagesOf(advantages);
        double[] global = advantagesOf(new GroupRelativeAdvantage(true, 5));
        for (int i = 0; i < a.length; i++) {
            assertEquals(global[i], a[i], 0.0, "global std, clip 5");
        }
        assertEquals("PolicyEma[ema, decay 0.9 every 8 steps]", method.schedules().get(0).toString(), "train.ema = True");
        assertEquals(1, method.schedules().size());
        assertEquals(List.of(AdapterRoles.EMA), method.snapshots());
        assertEquals(1, method.regularizers().size());
        ReferenceKl kl = assertInstanceOf(ReferenceKl.class, method.regularizers().get(0));
        try (NDManager m = NDManager.newBaseManager()) {
            StubPrediction p = new StubPrediction(m, 7.0);
            float loss = kl.loss(stubBatch(m), p, new StepMetrics()).getFloat();
            // 0.04 * mean((2 - 0)^2) * klScale(CODE) = 0.04 * 4 * 1
            assertEquals(0.16f, loss, 1e-7f);
            assertEquals(1, p.calls.size());
            assertEquals(null, p.calls.get(0)[0], "the reference is the pretrained model");
            assertEquals(7.0, p.calls.get(0)[1], "the reference uses the prediction's own guidance");
        }
    }

    @Test
    void defaultRolloutsRecordNineOfTenSdeSteps() {
        try (NDManager m = NDManager.newBaseManager()) {
            Rollout r = FlowGrpo.method().sampler().sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(1),
                    Conditioning.none(1), 2, new Shape(3), new SeededNoise(1));
            assertEquals(9, r.steps().size());
            for (int i = 0; i < 9; i++) {
                assertEquals(i, r.steps().get(i).index());
                assertTrue(r.steps().get(i).logProb() != null);
            }
        }
    }

    @Test
    void settingsReachTheComponents() {
        Method method = FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(1.0)
                        .optStochasticStep(new FlowGrpoSdeStep(0.5, LogProbReduction.MEAN)).optSteps(6).optShift(1.0)
                        .optTrainFraction(0.5).build(), 0.01)
                .withObjective(new FlowGrpoObjective(2e-4))
                .withRegularizer(new ReferenceKl(null, null, KlForm.PAPER, KlStrength.constant(0.01)))
                .withAdvantages(new GroupRelativeAdvantage(false, 2.0));
        assertEquals(1, method.regularizers().size(), "the PAPER-form KL replaced the recipe's");
        TrajectorySampler sampler = (TrajectorySampler) method.sampler();
        assertEquals(1.0, sampler.guidanceScale());
        assertEquals(6, sampler.schedule().steps());
        assertEquals(1.0, sampler.schedule().shift());
        assertEquals(0.5, ((FlowGrpoSdeStep) sampler.stochasticStep()).noiseLevel());
        assertEquals(2e-4, ((FlowGrpoObjective) method.objective()).clipRange());
        double[] a = advantagesOf((GroupRelativeAdvantage) method.advantages());
        double[] perGroup = advantagesOf(new GroupRelativeAdvantage(false, 2.0));
        for (int i = 0; i < a.length; i++) {
            assertEquals(perGroup[i], a[i], 0.0);
        }
        try (NDManager m = NDManager.newBaseManager()) {
            float loss = method.regularizers().get(0).loss(stubBatch(m), new StubPrediction(m, 1.0), new StepMetrics())
                    .getFloat();
            assertEquals(0.01f * 4 * 10, loss, 1e-6f, "beta 0.01, PAPER form");
            Rollout r = sampler.sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(1), null, 2,
                    new Shape(3), new SeededNoise(1));
            assertEquals(3, r.steps().size(), "floor(6 * 0.5)");
            float quarter = FlowGrpo.method().withKlBeta(0.01).regularizers().get(0)
                    .loss(stubBatch(m), new StubPrediction(m, 1.0), new StepMetrics()).getFloat();
            assertEquals(0.01f * 4, quarter, 1e-7f, "withKlBeta keeps the CODE form");
        }
        assertTrue(FlowGrpo.method(FlowGrpo.sampler().build(), 0).regularizers().isEmpty());
        assertTrue(FlowGrpo.method().without("regularizer:kl").regularizers().isEmpty());
    }

    @Test
    void badSettingsAreRefusedByTheStrategyThatOwnsThem() {
        assertBad("KL beta", () -> FlowGrpo.kl(-0.1));
        assertBad("KL beta", () -> FlowGrpo.kl(Double.NaN));
        assertBad("KL beta", () -> FlowGrpo.method().withKlBeta(0));
        assertBad("clipRange", () -> new FlowGrpoObjective(0));
        assertBad("a KL needs", () -> new ReferenceKl(null, null, null, KlStrength.constant(0.04)));
        assertBad("guidanceScale", () -> FlowGrpo.sampler().optGuidanceScale(Double.POSITIVE_INFINITY).build());
        assertBad("noiseLevel", () -> new FlowGrpoSdeStep(-1, LogProbReduction.MEAN));
        assertBad("steps", () -> FlowGrpo.sampler().optSteps(0).build());
        assertBad("shift", () -> FlowGrpo.sampler().optShift(-1).build());
        assertBad("trainFraction", () -> FlowGrpo.sampler().optTrainFraction(0.05).build());
        assertBad("trainFraction", () -> FlowGrpo.sampler().optTrainFraction(1.5).build());
        assertBad("clip", () -> new GroupRelativeAdvantage(true, 0));
        assertBad("the KL-in-reward coefficient", () -> FlowGrpo.withKlReward(FlowGrpo.method(), -1));
    }

    private static void assertBad(String field, org.junit.jupiter.api.function.Executable build) {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, build);
        assertTrue(e.getMessage().startsWith(field + " "), "message should name " + field + ": " + e.getMessage());
    }
}
