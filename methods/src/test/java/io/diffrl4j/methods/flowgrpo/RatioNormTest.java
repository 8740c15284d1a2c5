package io.diffrl4j.methods.flowgrpo;

import static io.diffrl4j.methods.flowgrpo.ToyTraining.B;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
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
import io.diffrl4j.models.testing.CentralDifferences;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.CpsStep;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import io.diffrl4j.samplers.TrajectorySampler;
import org.junit.jupiter.api.Test;

/**
 * GRPO-Guard's RatioNorm against its closed form: with {@code x' = mu_old + s eps} the normalised
 * log-ratio {@code (logp - logp_old + mean((mu - mu_old)^2) / (2 s^2)) s} is exactly
 * {@code mean_d(eps (mu - mu_old))}; here {@code mu} is rebuilt by hand from the model's velocity
 * and Flow-GRPO's SDE mean, {@code eps} from the recorded sample, and the loss divided by |dt|.
 */
class RatioNormTest {
    private static final float[] ADVANTAGES = {1.5f, -0.5f, 0.25f, -2f, 0.75f, 0.0f};
    private static final double A = 0.7;

    private static TrajectorySampler sampler(FlowGrpoSdeStep step) {
        return TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(1.0).optStochasticStep(step).build();
    }

    @Test
    void theNormalisedRatioIsTheNoiseProjectedMeanShiftAndTheLossIsDividedByDt() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = sampler(new FlowGrpoSdeStep(A, LogProbReduction.MEAN));
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective(10.0).withRatioNorm(true);   // nothing clipped
            InferenceSchedule schedule = sampler.schedule();
            double ratioSum = 0;
            StepMetrics metrics = new StepMetrics();
            for (int j = 0; j < objective.passes(mb); j++) {
                RecordedStep step = r.steps().get(j);
                Pass p = objective.evaluate(mb, j, model, metrics);
                int i = step.index();
                double sigma = schedule.sigma(i);
                double dt = schedule.sigma(i + 1) - sigma;
                double sNext = sigma == 1.0 ? schedule.sigma(1) : sigma;
                double std = A * Math.sqrt(sigma / (1 - sNext));
                double s = std * Math.sqrt(-dt);
                float[] x = step.x().toFloatArray();
                float[] v = model.velocity(step.x(), m.full(new Shape(B), (float) sigma), Conditioning.none(B)).toFloatArray();
                float[] next = step.next().toFloatArray();
                float[] muOld = step.mean().toFloatArray();
                int d = x.length / B;
                double expected = 0;
                for (int b = 0; b < B; b++) {
                    double logRatio = 0;
                    for (int k = b * d; k < (b + 1) * d; k++) {
                        double mu = x[k] * (1 + std * std / (2 * sigma) * dt) + v[k] * (1 + std * std * (1 - sigma) / (2 * sigma)) * dt;
                        double eps = (next[k] - muOld[k]) / s;
                        logRatio += eps * (mu - muOld[k]) / d;
                    }
                    double ratio = Math.exp(logRatio);
                    ratioSum += ratio;
                    expected += -ADVANTAGES[b] * ratio / B;
                }
                expected /= -dt;
                assertEquals(expected, p.loss().getFloat(), 1e-5 * Math.max(1, Math.abs(expected)), "pass " + j);
            }
            assertEquals(ratioSum / (B * objective.passes(mb)), metrics.means().get("ratio_mean"), 1e-5);
        }
    }

    @Test
    void theGradientFollowsTheNormalisedRatioIncludingItsCorrection() {
        // Central differences of the loss in single LoRA entries against autograd: the correction
        // term carries gradient, as in the reference.
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            TrajectorySampler sampler = sampler(new FlowGrpoSdeStep(A, LogProbReduction.MEAN));
            Rollout r = ToyTraining.offPolicy(m, model, sampler);
            MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
            FlowGrpoObjective objective = new FlowGrpoObjective(10.0).withRatioNorm(true);
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            int pass = 1;
            float[] grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Pass p = objective.evaluate(mb, pass, model, new StepMetrics());
                gc.backward(p.loss());
            }
            NDArray param = policy.parameters().get(0);
            grad = ToyTraining.takeGradients(policy.parameters()).get(0);
            CentralDifferences.assertMatch(param, grad, () -> objective.evaluate(mb, pass, model, new StepMetrics()).loss().getFloat(),
                    1e-2, 4);
        }
    }

    @Test
    void otherStepRulesAreRefused() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            FlowGrpoObjective objective = new FlowGrpoObjective().withRatioNorm(true);
            for (TrajectorySampler sampler : new TrajectorySampler[] {
                    sampler(new FlowGrpoSdeStep(A, LogProbReduction.SUM)),
                    TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(1.0).optStochasticStep(new CpsStep(A)).build()}) {
                Rollout r = ToyTraining.offPolicy(m, model, sampler);
                MicroBatch mb = ToyTraining.batch(m, sampler, r, ADVANTAGES);
                IllegalStateException e = assertThrows(IllegalStateException.class,
                        () -> objective.evaluate(mb, 0, model, new StepMetrics()));
                assertTrue(e.getMessage().contains("RatioNorm corrects Flow-GRPO's SDE log-probabilities"), e.getMessage());
                model.adapters().remove(AdapterRoles.SAMPLER);
                model.adapters().remove(AdapterRoles.POLICY);
            }
        }
    }
}
