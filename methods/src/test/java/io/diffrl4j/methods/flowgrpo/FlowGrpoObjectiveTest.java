package io.diffrl4j.methods.flowgrpo;

import static io.diffrl4j.methods.flowgrpo.ToyTraining.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective.Pass;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class FlowGrpoObjectiveTest {
    private static final float[] ADVANTAGES = {1.5f, -0.5f, -1.0f, 0.3f, 0f, -2.0f};

    /** 4 SDE steps, shift 1: steps 0..2 are recorded (floor(4 * 0.99) = 3). */
    private static TrajectorySampler sampler(double guidance) {
        return TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(guidance).build();
    }

    /** -mean(A * logp_theta) with logp_theta computed outside the objective (guidance 1). */
    private static NDArray plainPolicyGradientLoss(MicroBatch mb, TrajectorySampler sampler, ToyFlowModel model,
            RecordedStep step) {
        NDManager m = mb.manager();
        NDArray sigma = m.full(new ai.djl.ndarray.types.Shape(B), (float) step.sigma());
        NDArray v = model.velocity(step.x(), sigma, Conditioning.none(B));
        NDArray logp = sampler.stochasticStep().evaluate(step.x(), v, sampler.schedule(), step.index(), step.next()).logProb();
        return mb.advantages().mul(logp).mean().neg();
    }

    private static List<float[]> objectiveGradient(FlowGrpoObjective objective, MicroBatch mb, int pass,
            ToyFlowModel model, AdapterSet policy, StepMetrics metrics) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Pass p = objective.evaluate(mb, pass, model, metrics);
            gc.backward(p.loss());
        }
        return ToyTraining.takeGradients(policy.parameters());
    }

    @Test
    void atRatioOneTheClippedLossHasThePlainPolicyGradient() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler sampler = sampler(1.0);
            Rollout r = ToyTraining.rollout(m, sampler, model, 21);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective();
            assertEquals(3, objective.passes(mb));
            for (int j = 0; j < objective.passes(mb); j++) {
                StepMetrics metrics = new StepMetrics();
                List<float[]> clipped = objectiveGradient(objective, mb, j, model, policy, metrics);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(plainPolicyGradientLoss(mb, sampler, model, r.steps().get(j)));
                }
                List<float[]> plain = ToyTraining.takeGradients(policy.parameters());
                double scale = ToyTraining.maxAbs(plain);
                assertTrue(scale > 1e-4, "the plain gradient should not vanish, max " + scale);
                for (float[] g : plain) {
                    assertTrue(maxAbsOf(g) > 0, "every LoRA array gets a gradient");
                }
                double diff = ToyTraining.maxAbsDiff(clipped, plain, 1.0);
                assertTrue(diff <= 1e-6 * scale, "pass " + j + ": |clipped - plain| = " + diff + " vs scale " + scale);
                Map<String, Double> means = metrics.means();
                assertEquals(1.0, means.get("ratio_mean"), 0.0, "the sampler was the policy");
                assertEquals(0.0, means.get("clip_fraction"), 0.0);
                assertEquals(0.0, means.get("approx_kl"), 0.0);
            }
        }
    }

    /**
     * The toy ignores its conditioning, so v_cond == v_uncond and rollouts at w = 4.5 equal those at
     * w = 1. By hand: d/dtheta [u + w (c - u)] = (1 - w) du + w dc, which is dv when u = c; with u a
     * constant it is w dc. So the reference form (no detach, the default) gives exactly the w = 1
     * gradient, and the detached form 4.5 times it.
     */
    private static void assertGuidedGradientScale(boolean detach, double expectedFactor) {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler guided = sampler(4.5);
            TrajectorySampler plain = sampler(1.0);
            MicroBatch mbGuided = ToyTraining.batch(m, guided, ToyTraining.rollout(m, guided, model, 21), ADVANTAGES);
            MicroBatch mbPlain = ToyTraining.batch(m, plain, ToyTraining.rollout(m, plain, model, 21), ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective(FlowGrpoObjective.DEFAULT_CLIP_RANGE, detach);
            for (int j = 0; j < 3; j++) {
                StepMetrics metrics = new StepMetrics();
                List<float[]> g45 = objectiveGradient(objective, mbGuided, j, model, policy, metrics);
                List<float[]> g1 = objectiveGradient(objective, mbPlain, j, model, policy, new StepMetrics());
                Map<String, Double> means = metrics.means();
                assertEquals(0.0, means.get("clip_fraction"), 0.0, "ratio " + means.get("ratio_mean"));
                double scale = expectedFactor * ToyTraining.maxAbs(g1);
                double diff = ToyTraining.maxAbsDiff(g45, g1, expectedFactor);
                assertTrue(diff <= 1e-4 * scale, "pass " + j + ": |g(4.5) - " + expectedFactor + " g(1)| = " + diff
                        + " vs " + scale);
                assertEquals(1.0, means.get("ratio_mean"), 1e-6);
            }
        }
    }

    @Test
    void guidanceCarriesTheGradientThroughBothHalvesByDefault() {
        assertFalse(new FlowGrpoObjective().detachUnconditional());
        assertFalse(((FlowGrpoObjective) FlowGrpo.method().objective()).detachUnconditional());
        assertGuidedGradientScale(false, 1.0);
    }

    @Test
    void theDetachedOptionStopsTheGradientThroughTheUnconditionalHalf() {
        assertGuidedGradientScale(true, 4.5);
    }

    @Test
    void offPolicyRolloutsMoveTheRatioAndTheLossFollowsTheFormula() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            AdapterSet other = model.adapters().copyOf(AdapterRoles.SAMPLER, policy, false);
            ToyTraining.perturb(other, 13, 0.003);
            TrajectorySampler sampler = sampler(1.0);
            model.adapters().use(AdapterRoles.SAMPLER);
            Rollout r = ToyTraining.rollout(m, sampler, model, 21);
            model.adapters().use(AdapterRoles.POLICY);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            double eps = 1e-3;
            FlowGrpoObjective objective = new FlowGrpoObjective(eps);
            StepMetrics metrics = new StepMetrics();
            for (int j = 0; j < objective.passes(mb); j++) {
                RecordedStep step = r.steps().get(j);
                Pass p = objective.evaluate(mb, j, model, metrics);
                // Host re-computation of the clipped loss from the two log-probabilities.
                NDArray sigma = m.full(new ai.djl.ndarray.types.Shape(B), (float) step.sigma());
                float[] logpNew = sampler.stochasticStep().evaluate(step.x(), model.velocity(step.x(), sigma,
                        Conditioning.none(B)), sampler.schedule(), step.index(), step.next()).logProb().toFloatArray();
                float[] logpOld = step.logProb().toFloatArray();
                double expected = 0;
                for (int i = 0; i < B; i++) {
                    double ratio = Math.exp(logpNew[i] - logpOld[i]);
                    double clipped = Math.max(1 - eps, Math.min(1 + eps, ratio));
                    expected += Math.max(-ADVANTAGES[i] * ratio, -ADVANTAGES[i] * clipped) / B;
                }
                assertEquals(expected, p.loss().getFloat(), 1e-5 * Math.max(1, Math.abs(expected)), "pass " + j);
            }
            Map<String, Double> means = metrics.means();
            // A small perturbation of the sampler: some ratios leave the 1e-3 band, some stay in it.
            double clipFraction = means.get("clip_fraction");
            assertTrue(clipFraction > 0 && clipFraction < 1, "clip fraction " + clipFraction);
            assertNotEquals(1.0, means.get("ratio_mean"));
            assertTrue(means.get("approx_kl") > 0);
        }
    }

    @Test
    void zeroAdvantagesGiveExactlyZeroLossAndGradient() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            AdapterSet other = model.adapters().copyOf(AdapterRoles.SAMPLER, policy, false);
            ToyTraining.perturb(other, 13, 0.3);
            TrajectorySampler sampler = sampler(1.0);
            model.adapters().use(AdapterRoles.SAMPLER);
            Rollout r = ToyTraining.rollout(m, sampler, model, 21);
            model.adapters().use(AdapterRoles.POLICY);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, new float[B]);
            FlowGrpoObjective objective = new FlowGrpoObjective();
            for (int j = 0; j < objective.passes(mb); j++) {
                List<float[]> g;
                float loss;
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    Pass p = objective.evaluate(mb, j, model, new StepMetrics());
                    loss = p.loss().getFloat();
                    gc.backward(p.loss());
                }
                g = ToyTraining.takeGradients(policy.parameters());
                assertEquals(0f, loss, 0f);
                assertEquals(0.0, ToyTraining.maxAbs(g), 0.0, "pass " + j);
            }
        }
    }

    @Test
    void rejectsABatchWhoseStepsDoNotFitItsSamplerAndOdeRollouts() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler sampler = sampler(1.0);
            // Steps drawn at shift 1, handed over as if drawn by a sampler at shift 3.
            TrajectorySampler shifted = TrajectorySampler.builder().optSteps(4).optShift(3.0).optGuidanceScale(1.0).build();
            MicroBatch mb = ToyTraining.batch(m, shifted, ToyTraining.rollout(m, sampler, model, 21), ADVANTAGES);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> new FlowGrpoObjective().evaluate(mb, 1, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("but the micro-batch sampler's schedule has"), e.getMessage());
            assertTrue(e.getMessage().endsWith("; build the micro-batch with the sampler that drew it"), e.getMessage());

            TrajectorySampler ode = TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(1.0)
                    .optWindow(SdeWindow.none()).build();
            MicroBatch odeBatch = ToyTraining.batch(m, ode, ToyTraining.rollout(m, ode, model, 21), ADVANTAGES);
            assertThrows(IllegalArgumentException.class, () -> new FlowGrpoObjective().passes(odeBatch));
            assertThrows(IllegalArgumentException.class, () -> new FlowGrpoObjective(0));
        }
    }

    @Test
    void oneObjectiveScoresRolloutsOfAnySamplerItIsGiven() {
        // The objective holds no schedule: a method's sampler can be replaced by one with other steps
        // and shift, and the same objective re-scores its steps exactly (ratio 1 on-policy).
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            model.adapters().use(AdapterRoles.POLICY);
            FlowGrpoObjective objective = new FlowGrpoObjective();
            for (TrajectorySampler s : List.of(sampler(1.0), TrajectorySampler.builder().optSteps(7).optShift(3.0)
                    .optGuidanceScale(1.0).build())) {
                MicroBatch mb = ToyTraining.batch(m, s, ToyTraining.rollout(m, s, model, 21), ADVANTAGES);
                int passes = objective.passes(mb);
                assertEquals(mb.steps().size(), passes);
                for (int j = 0; j < passes; j++) {
                    StepMetrics metrics = new StepMetrics();
                    Pass p = objective.evaluate(mb, j, model, metrics);
                    assertTrue(Float.isFinite(p.loss().getFloat()));
                    assertEquals(1.0, metrics.means().get("ratio_mean"), 1e-5, s.schedule() + " pass " + j);
                }
            }
        }
    }

    @Test
    void aPassLivesInTheScopeTheBatchIsAttachedTo() {
        // The trainer temp-attaches the batch's arrays to a per-pass manager: everything the pass
        // creates must land there, so that its graph dies with the pass.
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new io.diffrl4j.core.flow.SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler sampler = sampler(2.0);
            try (NDManager stepManager = m.newSubManager()) {
                MicroBatch mb = ToyTraining.batch(stepManager, sampler, ToyTraining.rollout(stepManager, sampler, model, 21),
                        ADVANTAGES);
                FlowGrpoObjective objective = new FlowGrpoObjective();
                for (int j = 0; j < objective.passes(mb); j++) {
                    try (NDManager passManager = stepManager.newSubManager()) {
                        RecordedStep step = mb.steps().get(j);
                        passManager.tempAttachAll(mb.advantages(), step.x(), step.next(), step.logProb(), step.mean());
                        Pass p = objective.evaluate(mb, j, model, new StepMetrics());
                        assertSame(passManager, p.loss().getManager());
                        assertSame(passManager, p.prediction().policy().getManager());
                        assertSame(passManager, p.prediction().under(null, 1.0).getManager());
                        assertSame(passManager, p.prediction().klScale(io.diffrl4j.core.objective.KlForm.PAPER).getManager());
                    }
                    assertSame(stepManager, mb.steps().get(j).x().getManager(), "the batch returns to its owner");
                }
            }
        }
    }

    private static double maxAbsOf(float[] v) {
        double m = 0;
        for (float x : v) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }
}
