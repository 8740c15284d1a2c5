package io.diffrl4j.methods.flowgrpo;

import static io.diffrl4j.methods.flowgrpo.ToyTraining.B;
import static io.diffrl4j.methods.flowgrpo.ToyTraining.GROUP;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import io.diffrl4j.samplers.ReferenceKlSampler;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Flow-GRPO's former KL-in-reward ({@code config.sample.kl_reward} in flow_grpo before 2d76907):
 * the per-step KL the rollout records, and the per-step advantages the objective trains on, both
 * against the reference code's formulas written out on the host.
 */
class KlInRewardTest {
    private static final double NOISE_LEVEL = 0.7;

    /** 4 SDE steps, shift 1 (sigmas 1, 0.75, 0.5, 0.25, 0): steps 0..2 are recorded. */
    private static TrajectorySampler sampler() {
        return TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(new FlowGrpoSdeStep(NOISE_LEVEL, LogProbReduction.MEAN)).build();
    }

    private static double[] host(NDArray a) {
        float[] f = a.toFloatArray();
        double[] out = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            out[i] = f[i];
        }
        return out;
    }

    @Test
    void theRolloutRecordsTheReferenceCodesKlAtEveryRecordedStep() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            TrajectorySampler inner = sampler();
            ReferenceKlSampler sampler = new ReferenceKlSampler(inner, null);
            model.adapters().use(AdapterRoles.POLICY);
            Rollout r = ToyTraining.rollout(m, sampler, model, 21);
            // The wrapped sampler's rollout is unchanged: same noise, same samples.
            Rollout plain = ToyTraining.rollout(m, inner, model, 21);
            assertEquals(0, plain.samples().sub(r.samples()).abs().max().getFloat(), 0);
            assertEquals(new Shape(B, 3), r.referenceKl().getShape());
            InferenceSchedule s = inner.schedule();
            double sigmaMax = s.sigma(1);
            double[] kl = host(r.referenceKl());
            for (int t = 0; t < r.steps().size(); t++) {
                RecordedStep step = r.steps().get(t);
                double sigma = step.sigma();
                double dt = step.sigmaNext() - sigma;
                // sde_step_with_logprob: std_dev_t = sqrt(sigma / (1 - (sigma == 1 ? sigma_max : sigma))) * a;
                // the mean's velocity coefficient (1 + std_dev_t^2 (1 - sigma) / (2 sigma)) dt; the KL divides
                // by 2 (std_dev_t sqrt(-dt))^2.
                double std = Math.sqrt(sigma / (1 - (sigma == 1 ? sigmaMax : sigma))) * NOISE_LEVEL;
                double coefficient = (1 + std * std * (1 - sigma) / (2 * sigma)) * dt;
                NDArray level = m.full(new Shape(B), (float) sigma);
                double[] vPolicy = host(model.velocity(step.x(), level, Conditioning.none(B)));
                double[] vBase = host(model.adapters().with(null, () -> model.velocity(step.x(), level, Conditioning.none(B))));
                int dim = vPolicy.length / B;
                for (int i = 0; i < B; i++) {
                    double sum = 0;
                    for (int j = 0; j < dim; j++) {
                        double d = coefficient * (vPolicy[i * dim + j] - vBase[i * dim + j]);
                        sum += d * d;
                    }
                    double expected = sum / dim / (2 * std * std * -dt);
                    assertTrue(expected > 0, "the perturbed policy differs from the base");
                    assertEquals(expected, kl[i * 3 + t], 1e-5 * expected + 1e-9, "row " + i + ", step " + t);
                }
            }
        }
    }

    @Test
    void eachStepTrainsOnItsOwnColumnOfPenalisedRewards() {
        double c = 0.5;
        double[] proxy = {0.2, 0.9, 0.4, 0.7, 0.7, 0.1};
        double[][] kl = {{0.1, 0.3, 0.0}, {0.4, 0.2, 0.5}, {0.0, 0.1, 0.2}, {0.3, 0.3, 0.3}, {0.1, 0.6, 0.0}, {0.2, 0.0, 0.4}};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = ToyTraining.model(m)) {
            AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
            ToyTraining.perturb(policy, 12, 0.3);
            AdapterSet old = model.adapters().copyOf(AdapterRoles.SAMPLER, policy, false);
            ToyTraining.perturb(old, 13, 0.003);
            TrajectorySampler sampler = sampler();
            model.adapters().use(AdapterRoles.SAMPLER);
            Rollout r = ToyTraining.rollout(m, sampler, model, 21);
            model.adapters().use(AdapterRoles.POLICY);
            List<Prompt> prompts = new ArrayList<>();
            for (int i = 0; i < B; i++) {
                prompts.add(Prompt.of("prompt " + i / GROUP));
            }
            RewardBatch rewards = new RewardBatch("r", Map.of("r", proxy), null, prompts, GROUP).withReferenceKl(kl);
            int[] rows = {0, 1, 2, 3, 4, 5};
            // The per-image advantages are deliberately wrong: with a KL-in-reward they must be ignored.
            MicroBatch mb = new MicroBatch(m, new MicroBatch.Place(rows, GROUP),
                new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(B), Conditioning.none(B), sampler),
                new MicroBatch.Scored(m.create(new float[] {9, 9, 9, 9, 9, 9}), rewards), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(99)));
            double eps = 1e-3;
            FlowGrpoObjective objective = new FlowGrpoObjective(eps, false, c,
                    new GroupRelativeAdvantage(true, 5.0));
            assertFalse(objective.skipsZeroAdvantageGroups());
            for (int t = 0; t < 3; t++) {
                // PerPromptStatTracker(global_std=True) on rewards - c * kl, one column: group mean,
                // np.std over the whole column + 1e-4, then clamp(-5, 5).
                double[] col = new double[B];
                double all = 0;
                for (int i = 0; i < B; i++) {
                    col[i] = proxy[i] - c * kl[i][t];
                    all += col[i] / B;
                }
                double var = 0;
                for (double v : col) {
                    var += (v - all) * (v - all) / B;
                }
                double std = Math.sqrt(var) + 1e-4;
                double[] a = new double[B];
                for (int g = 0; g < B / GROUP; g++) {
                    double mean = 0;
                    for (int k = 0; k < GROUP; k++) {
                        mean += col[g * GROUP + k] / GROUP;
                    }
                    for (int k = 0; k < GROUP; k++) {
                        a[g * GROUP + k] = Math.max(-5, Math.min(5, (col[g * GROUP + k] - mean) / std));
                    }
                }
                RecordedStep step = r.steps().get(t);
                NDArray sigma = m.full(new Shape(B), (float) step.sigma());
                double[] logpNew = host(sampler.stochasticStep().evaluate(step.x(), model.velocity(step.x(), sigma,
                        Conditioning.none(B)), sampler.schedule(), step.index(), step.next()).logProb());
                double[] logpOld = host(step.logProb());
                double expected = 0;
                for (int i = 0; i < B; i++) {
                    double ratio = Math.exp(logpNew[i] - logpOld[i]);
                    double clipped = Math.max(1 - eps, Math.min(1 + eps, ratio));
                    expected += Math.max(-a[i] * ratio, -a[i] * clipped) / B;
                }
                float loss = objective.evaluate(mb, t, model, new StepMetrics()).loss().getFloat();
                assertEquals(expected, loss, 1e-5 * Math.max(1, Math.abs(expected)), "step " + t);
            }
            // Without the recorded KL the objective says what is missing.
            MicroBatch bare = new MicroBatch(m, new MicroBatch.Place(rows, GROUP),
                new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(B), Conditioning.none(B), sampler),
                new MicroBatch.Scored(m.create(new float[B]), new RewardBatch("r", Map.of("r", proxy), null, prompts, GROUP)), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(99)));
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> objective.evaluate(bare, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("ReferenceKlSampler"), e.getMessage());
        }
    }

    @Test
    void theRecipeWiresTheSamplerOnlyWhenAsked() {
        Method off = FlowGrpo.method();
        assertTrue(off.sampler() instanceof TrajectorySampler);
        assertTrue(off.objective().skipsZeroAdvantageGroups());
        Method on = FlowGrpo.withKlReward(FlowGrpo.method().withObjective(new FlowGrpoObjective(2e-4, true)), 0.1);
        ReferenceKlSampler s = (ReferenceKlSampler) on.sampler();
        assertSame(null, s.referenceSet());
        assertEquals(0.1, ((FlowGrpoObjective) on.objective()).klReward(), 0);
        assertEquals(2e-4, ((FlowGrpoObjective) on.objective()).clipRange(), 0, "the objective's own settings are kept");
        assertTrue(((FlowGrpoObjective) on.objective()).detachUnconditional());
        // Replacing the sampler (Flow-GRPO-Fast, say) keeps the KL recording the objective reads.
        TrajectorySampler fast = TrajectorySampler.builder().optSteps(10).optShift(3.0).optGuidanceScale(4.5)
                .optWindow(io.diffrl4j.samplers.SdeWindow.random(2, 0, 5)).build();
        ReferenceKlSampler kept = assertInstanceOf(ReferenceKlSampler.class, on.withSampler(fast).sampler());
        assertSame(fast, kept.sampler());
        assertSame(null, kept.referenceSet());
        assertSame(fast, off.withSampler(fast).sampler(), "a plain sampler is replaced as given");
        assertThrows(IllegalArgumentException.class, () -> FlowGrpo.withKlReward(off, -1));
        assertThrows(IllegalArgumentException.class, () -> FlowGrpo.withKlReward(off, Double.NaN));
        assertThrows(IllegalArgumentException.class, () -> FlowGrpo.withKlReward(io.diffrl4j.methods.crd.Crd.method(), 0.1),
                "CRD's objective has no KL-in-reward");
    }
}
