package io.diffrl4j.methods.flowgrpo;

import static io.diffrl4j.methods.flowgrpo.ToyTraining.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/** The KL of Flow-GRPO's prediction (transition means) through core's {@link ReferenceKl}. */
class FlowGrpoKlTest {
    private static final float[] ADVANTAGES = {1f, -1f, 0.5f, -0.5f, 2f, -2f};
    private static final double GUIDANCE = 3.0;

    private static TrajectorySampler sampler() {
        return TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(GUIDANCE).build();
    }

    private static ReferenceKl kl(String reference, KlForm form) {
        return new ReferenceKl(reference, null, form, KlStrength.constant(1.0));
    }

    @Test
    void klIsZeroAgainstItselfAndPositiveOnceThePolicyMoves() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            // B = 0: the fresh policy is exactly the pretrained model.
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            model.adapters().copyOf(AdapterRoles.REFERENCE, policy, false);
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler sampler = sampler();
            Rollout r = ToyTraining.rollout(m, sampler, model, 31);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective();
            for (int j = 0; j < objective.passes(mb); j++) {
                Prediction p = objective.evaluate(mb, j, model, new StepMetrics()).prediction();
                assertEquals(GUIDANCE, p.guidance());
                assertEquals(0.0, maxOf(kl(null, KlForm.CODE).perSample(mb, p)), 0.0, "pretrained, pass " + j);
                assertEquals(0.0, maxOf(kl(AdapterRoles.REFERENCE, KlForm.PAPER).perSample(mb, p)), 0.0, "copy, pass " + j);
            }

            ToyTraining.perturb(policy, 12, 0.3);
            for (int j = 0; j < objective.passes(mb); j++) {
                RecordedStep step = r.steps().get(j);
                Prediction p = objective.evaluate(mb, j, model, new StepMetrics()).prediction();
                float[] code = kl(null, KlForm.CODE).perSample(mb, p).toFloatArray();
                float[] paper = kl(null, KlForm.PAPER).perSample(mb, p).toFloatArray();
                float[] expected = hostKl(m, model, sampler, step, p);
                double dt = Math.abs(step.sigmaNext() - step.sigma());
                for (int i = 0; i < B; i++) {
                    assertTrue(code[i] > 0, "sample " + i + " pass " + j + ": " + code[i]);
                    assertEquals(expected[i], code[i], 1e-5 * expected[i], "code form, sample " + i);
                    assertEquals(1.0, paper[i] * dt / code[i], 1e-5, "paper = code / |dt|, sample " + i);
                }
            }
        }
    }

    @Test
    void referenceMeansAreCachedAndCarryNoGradient() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            model.adapters().use(AdapterRoles.POLICY);
            TrajectorySampler sampler = sampler();
            MicroBatch mb = ToyTraining.batch(m, sampler, ToyTraining.rollout(m, sampler, model, 31), ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective();
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Prediction p = objective.evaluate(mb, 0, model, new StepMetrics()).prediction();
                NDArray ref = p.under(null, GUIDANCE);
                assertSame(ref, p.under(null, GUIDANCE));
                assertTrue(ref != p.under(null, 1.0));
                // The policy's own set at its own guidance is the policy's mean, detached.
                assertEquals(0.0, maxOf(p.under(AdapterRoles.POLICY, GUIDANCE).sub(p.policy()).abs()), 0.0);
                assertEquals(AdapterRoles.POLICY, model.adapters().active().name(), "under() restores the active set");
                // The KL's gradient reaches the policy through policy() only.
                gc.backward(kl(null, KlForm.CODE).loss(mb, p, new StepMetrics()));
            }
            double g = ToyTraining.maxAbs(ToyTraining.takeGradients(policy.parameters()));
            assertTrue(g > 0, "KL gradient " + g);
        }
    }

    /** mean_dims((mean_theta - mean_ref)^2) / (2 std^2), with mean_ref from the pretrained model. */
    private static float[] hostKl(NDManager m, ToyFlowModel model, TrajectorySampler sampler, RecordedStep step,
            Prediction p) {
        NDArray sigma = m.full(new Shape(B), (float) step.sigma());
        NDArray vRef = model.adapters().with(null,
                () -> Guidance.velocity(model, step.x(), sigma, Conditioning.none(B), Conditioning.none(B), GUIDANCE));
        float[] ref = sampler.stochasticStep().evaluate(step.x(), vRef, sampler.schedule(), step.index(), step.next())
                .mean().toFloatArray();
        float[] theta = p.policy().toFloatArray();
        double std = ((io.diffrl4j.samplers.FlowGrpoSdeStep) sampler.stochasticStep()).stdDev(sampler.schedule(), step.index());
        int dim = ref.length / B;
        float[] out = new float[B];
        for (int i = 0; i < B; i++) {
            double s = 0;
            for (int k = 0; k < dim; k++) {
                double d = theta[i * dim + k] - ref[i * dim + k];
                s += d * d;
            }
            out[i] = (float) (s / dim / (2 * std * std));
        }
        return out;
    }

    private static double maxOf(NDArray a) {
        double m = 0;
        for (float x : a.toFloatArray()) {
            m = Math.max(m, Math.abs(x));
        }
        return m;
    }

}
