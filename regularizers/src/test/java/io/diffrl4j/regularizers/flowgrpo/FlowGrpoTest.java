package io.diffrl4j.regularizers.flowgrpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import java.util.function.Consumer;
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
        return new MicroBatch(m, new int[] {0, 1}, 2, null, List.of(), null, null, null, null, null, null, null);
    }

    /** Two groups with different spreads: global and per-group std give different advantages. */
    static double[] advantagesOf(GroupRelativeAdvantage estimator) {
        double[] r = {0, 1, 0, 10};
        List<Prompt> prompts = new ArrayList<>(Collections.nCopies(4, Prompt.of("p")));
        return estimator.estimate(new RewardBatch("r", Map.of("r", r), null, prompts, 2));
    }

    @Test
    void configDefaultsAreTheSd35MediumRecipe() {
        FlowGrpo.Config c = FlowGrpo.Config.builder().build();
        assertEquals(0.04, c.beta());
        assertEquals(1e-4, c.clipRange());
        assertEquals(KlForm.CODE, c.klForm());
        assertEquals(4.5, c.guidanceScale());
        assertEquals(0.7, c.noiseLevel());
        assertEquals(LogProbReduction.MEAN, c.logProbReduction());
        assertEquals(10, c.steps());
        assertEquals(3.0, c.shift());
        assertEquals(0.99, c.trainFraction());
        assertTrue(c.globalStd());
        assertEquals(5.0, c.advantageClip());
    }

    @Test
    void defaultsComposeTheFlowGrpoMethod() {
        Method method = FlowGrpo.defaults();
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
            Rollout r = FlowGrpo.defaults().sampler().sample(m, new GaussianVelocityField(0.5, 0.8), Conditioning.none(1),
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
        FlowGrpo.Config c = FlowGrpo.Config.builder().optBeta(0.01).optClipRange(2e-4).optKlForm(KlForm.PAPER)
                .optGuidanceScale(1.0).optNoiseLevel(0.5).optSteps(6).optShift(1.0).optTrainFraction(0.5)
                .optGlobalStd(false).optAdvantageClip(2.0).build();
        Method method = FlowGrpo.defaults(c);
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
        }
        assertTrue(FlowGrpo.defaults(FlowGrpo.Config.builder().optBeta(0).build()).regularizers().isEmpty());
    }

    @Test
    void badSettingsNameTheField() {
        assertBad("beta", b -> b.optBeta(-0.1));
        assertBad("beta", b -> b.optBeta(Double.NaN));
        assertBad("clipRange", b -> b.optClipRange(0));
        assertBad("klForm", b -> b.optKlForm(null));
        assertBad("guidanceScale", b -> b.optGuidanceScale(Double.POSITIVE_INFINITY));
        assertBad("noiseLevel", b -> b.optNoiseLevel(0));
        assertBad("logProbReduction", b -> b.optLogProbReduction(null));
        assertBad("steps", b -> b.optSteps(0));
        assertBad("shift", b -> b.optShift(-1));
        assertBad("trainFraction", b -> b.optTrainFraction(0.05));
        assertBad("trainFraction", b -> b.optTrainFraction(1.5));
        assertBad("advantageClip", b -> b.optAdvantageClip(0));
    }

    private static void assertBad(String field, Consumer<FlowGrpo.Config.Builder> change) {
        FlowGrpo.Config.Builder b = FlowGrpo.Config.builder();
        change.accept(b);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, b::build);
        assertTrue(e.getMessage().startsWith(field + " "), "message should name " + field + ": " + e.getMessage());
    }
}
