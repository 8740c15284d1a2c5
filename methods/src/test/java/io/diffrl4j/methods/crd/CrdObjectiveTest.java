package io.diffrl4j.methods.crd;

import io.diffrl4j.core.advantage.NormalisedReward;
import io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective.Pass;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.ToyFlowModel;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The objective through {@link CrdObjective#evaluate}, on a trainable toy flow. */
class CrdObjectiveTest {
    private static final int G = 3;
    private static final int B = 2 * G;
    private static final int DIM = 3;
    /** 4 levels of a 5-step shift-1 schedule. */
    private static final DiscreteNoiseLevels LEVELS = new DiscreteNoiseLevels(5, 1.0, 0.8);
    private static final double LR = 1e-3;
    private static final float[] ADVANTAGES = {1.5f, -0.5f, -1.0f, 2.0f, 0.25f, -2.25f};

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    /** A toy with a perturbed policy and "old" a copy of it (so policy == old), policy active. */
    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        perturb(policy, 12, 0.3);
        model.adapters().copyOf(AdapterRoles.OLD, policy, false);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static MicroBatch batch(NDManager m, float[] advantages, int[] rows) {
        NDArray x0 = new SeededNoise(5).normal(m, new Shape(rows.length, DIM)).add(0.5f);
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(x0, List.of(), Conditioning.none(rows.length), Conditioning.none(rows.length), null),
                new MicroBatch.Scored(m.create(advantages), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(3)));
    }

    private static MicroBatch batch(NDManager m, float[] advantages) {
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = 6 + i;
        }
        return batch(m, advantages, rows);
    }

    private static List<float[]> takeGradients(List<NDArray> params) {
        List<float[]> out = new ArrayList<>();
        for (NDArray p : params) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    /** Loss and policy gradient of one pass. */
    private static float[] lossAndGradient(ToyFlowModel model, CrdObjective objective, MicroBatch mb, int pass,
            List<float[]> gradient) {
        float loss;
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray l = objective.evaluate(mb, pass, model, new StepMetrics()).loss();
            loss = l.getFloat();
            gc.backward(l);
        }
        gradient.addAll(takeGradients(model.adapters().get(AdapterRoles.POLICY).parameters()));
        return new float[] {loss};
    }

    /** The implicit reward recomputed on the host from the model's velocities at the pass's x_t. */
    private static double[] hostRho(NDManager m, ToyFlowModel model, CrdObjective objective, MicroBatch mb, int pass,
            ImplicitRewardForm form) {
        float[] x0 = mb.samples().toFloatArray();
        float[] eps = objective.noise(mb, pass).toFloatArray();
        float[] s = objective.sigmas(mb, pass).toFloatArray();
        float[] xt = new float[x0.length];
        for (int i = 0; i < B; i++) {
            for (int k = 0; k < DIM; k++) {
                xt[i * DIM + k] = (1 - s[i]) * x0[i * DIM + k] + s[i] * eps[i * DIM + k];
            }
        }
        NDArray xtArray = m.create(xt, new Shape(B, DIM));
        NDArray sigma = m.create(s);
        float[] vT = model.adapters().with(AdapterRoles.POLICY, () -> model.velocity(xtArray, sigma, Conditioning.none(B)))
                .toFloatArray();
        float[] vO = model.adapters().with(AdapterRoles.OLD, () -> model.velocity(xtArray, sigma, Conditioning.none(B)))
                .toFloatArray();
        double[] rho = new double[B];
        for (int i = 0; i < B; i++) {
            double sqT = 0;
            double sqO = 0;
            double absT = 0;
            double absO = 0;
            for (int k = 0; k < DIM; k++) {
                int e = i * DIM + k;
                double u = eps[e] - x0[e];
                sqT += (vT[e] - u) * (vT[e] - u) / DIM;
                sqO += (vO[e] - u) * (vO[e] - u) / DIM;
                absT += Math.abs(vT[e] - u) / DIM;
                absO += Math.abs(vO[e] - u) / DIM;
            }
            rho[i] = form == ImplicitRewardForm.PLAIN ? sqO - sqT : sqO / Math.max(absO, 1e-5) - sqT / Math.max(absT, 1e-5);
        }
        return rho;
    }

    @Test
    void evaluateIsTheMatchingLossOfTheImplicitReward() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            perturb(model.adapters().get(AdapterRoles.POLICY), 14, 0.2);
            MicroBatch mb = batch(m, ADVANTAGES);
            for (ImplicitRewardForm form : ImplicitRewardForm.values()) {
                for (MatchingLoss kind : MatchingLoss.values()) {
                    CrdObjective objective = new CrdObjective(0.7, form, CenteringScope.PROMPT, kind, LEVELS, AdapterRoles.OLD);
                    assertEquals(4, objective.passes(mb));
                    for (int j = 0; j < objective.passes(mb); j++) {
                        double[] rho = hostRho(m, model, objective, mb, j, form);
                        StepMetrics metrics = new StepMetrics();
                        Pass p = objective.evaluate(mb, j, model, metrics);
                        float[] rhoOut = objective.forward(mb, j, model).rho().toFloatArray();
                        for (int i = 0; i < B; i++) {
                            assertEquals(rho[i], rhoOut[i], 1e-5 * Math.max(1, Math.abs(rho[i])), form + " rho " + i);
                        }
                        float[] rho32 = new float[B];
                        for (int i = 0; i < B; i++) {
                            rho32[i] = (float) rho[i];
                        }
                        float want = CenteredRewardMatching.loss(m.create(rho32),
                                NormalisedReward.of(m.create(ADVANTAGES)), G, 0.7, CenteringScope.PROMPT, kind)
                                .getFloat();
                        assertEquals(want, p.loss().getFloat(), 1e-5 * Math.max(1, want), form + " " + kind + " pass " + j);
                        Map<String, Double> means = metrics.means();
                        assertEquals(p.loss().getFloat(), means.get("policy_loss"), 0.0);
                        assertTrue(means.get("implicit_reward_std") > 0);
                        assertTrue(means.get("reward_centred_std") > 0);
                        assertTrue(means.containsKey("implicit_reward"));
                    }
                }
            }
        }
    }

    @Test
    void aPerPromptConstantInTheExternalRewardLeavesLossAndGradientUnchanged() {
        // Shifting every advantage of prompt p by a_p shifts r~ by a_p / 10 (no clipping here).
        float[] shifted = ADVANTAGES.clone();
        float[] a = {1.5f, -2.0f};
        for (int i = 0; i < B; i++) {
            shifted[i] += a[i / G];
        }
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            perturb(model.adapters().get(AdapterRoles.POLICY), 14, 0.2);
            for (MatchingLoss kind : MatchingLoss.values()) {
                CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, kind, LEVELS,
                        AdapterRoles.OLD);
                for (int j = 0; j < objective.passes(batch(m, ADVANTAGES)); j++) {
                    List<float[]> g0 = new ArrayList<>();
                    List<float[]> g1 = new ArrayList<>();
                    float l0 = lossAndGradient(model, objective, batch(m, ADVANTAGES), j, g0)[0];
                    float l1 = lossAndGradient(model, objective, batch(m, shifted), j, g1)[0];
                    // float32 losses of size ~30: equal to 1e-6 relative (one ulp is 2e-6 there, and
                    // the reduction order changes with the thread count)
                    assertEquals(l0, l1, 1e-6 * Math.max(1, Math.abs(l0)), kind + " pass " + j);
                    double maxGrad = 0;
                    for (float[] v : g0) {
                        for (float x : v) {
                            maxGrad = Math.max(maxGrad, Math.abs(x));
                        }
                    }
                    // float32 gradients of size ~10: equal to 1e-6 relative to their scale.
                    float tol = (float) (1e-6 * Math.max(1, maxGrad));
                    for (int k = 0; k < g0.size(); k++) {
                        assertArrayEquals(g0.get(k), g1.get(k), tol, kind + " pass " + j + " parameter " + k);
                    }
                    assertTrue(maxGrad > 1e-4, "the policy gets a gradient");
                }
            }
        }
    }

    @Test
    void policyEqualToTheMovingReferenceGivesExactlyZeroImplicitRewardButStillAGradient() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, ADVANTAGES);
            for (ImplicitRewardForm form : ImplicitRewardForm.values()) {
                CrdObjective objective = new CrdObjective(1.0, form, CenteringScope.PROMPT, MatchingLoss.MSE, LEVELS,
                        AdapterRoles.OLD);
                for (int j = 0; j < objective.passes(mb); j++) {
                    assertArrayEquals(new float[B], objective.forward(mb, j, model).rho().toFloatArray(), 0f,
                            form + " pass " + j + ": rho is identically 0 when the policy is the reference");
                    List<float[]> g = new ArrayList<>();
                    float loss = lossAndGradient(model, objective, mb, j, g)[0];
                    // L = 5 mean(Rc^2): the matching target alone.
                    double[] r = new double[B];
                    for (int i = 0; i < B; i++) {
                        r[i] = Math.max(0, Math.min(1, ADVANTAGES[i] / 10.0 + 0.5));
                    }
                    double want = 0;
                    for (int start = 0; start < B; start += G) {
                        double mean = (r[start] + r[start + 1] + r[start + 2]) / 3;
                        for (int i = start; i < start + G; i++) {
                            want += 5 * (r[i] - mean) * (r[i] - mean) / B;
                        }
                    }
                    assertEquals(want, loss, 1e-6);
                    double max = 0;
                    for (float[] v : g) {
                        for (float x : v) {
                            max = Math.max(max, Math.abs(x));
                        }
                    }
                    assertTrue(max > 1e-4, "learning starts from rho = 0: " + max);
                }
            }
        }
    }

    @Test
    void smallStepsRaiseTheImplicitRewardOfTheBetterSamples() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, ADVANTAGES);
            CrdObjective objective = new CrdObjective();
            CrdObjective probe = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                    objective.noiseLevels(), AdapterRoles.OLD);
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            float before = 0;
            for (int j = 0; j < objective.passes(mb); j++) {
                before += objective.evaluate(mb, j, model, new StepMetrics()).loss().getFloat();
            }
            for (int step = 0; step < 3; step++) {
                for (int j = 0; j < objective.passes(mb); j++) {
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        gc.backward(objective.evaluate(mb, j, model, new StepMetrics()).loss());
                    }
                }
                for (NDArray param : policy.parameters()) {
                    try (NDArray g = param.getGradient()) {
                        param.subi(g.mul(LR / objective.passes(mb)));
                        g.subi(g);
                    }
                }
            }
            float after = 0;
            double corr = 0;
            for (int j = 0; j < objective.passes(mb); j++) {
                after += objective.evaluate(mb, j, model, new StepMetrics()).loss().getFloat();
                float[] pc = CenteredRewardMatching.centre(probe.forward(mb, j, model).rho(), G, CenteringScope.PROMPT)
                        .toFloatArray();
                for (int i = 0; i < B; i++) {
                    corr += pc[i] * ADVANTAGES[i];
                }
            }
            assertTrue(after < before, "loss " + before + " -> " + after);
            assertTrue(corr > 0, "the centred implicit reward now follows the advantages: " + corr);
        }
    }

    @Test
    void partialGroupsAndMixedPromptsAreRejected() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                    LEVELS, AdapterRoles.OLD);
            MicroBatch partial = batch(m, new float[] {1, 2, 3, 4}, new int[] {0, 1, 2, 3});
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> objective.evaluate(partial, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("whole groups"), e.getMessage());
            MicroBatch straddling = batch(m, ADVANTAGES, new int[] {1, 2, 3, 4, 5, 6});
            e = assertThrows(IllegalArgumentException.class, () -> objective.evaluate(straddling, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("different prompts"), e.getMessage());
            assertThrows(IndexOutOfBoundsException.class, () -> objective.evaluate(batch(m, ADVANTAGES), 4, model,
                    new StepMetrics()));
        }
    }

    @Test
    void aPassLivesInTheScopeTheBatchIsAttachedTo() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m); NDManager stepManager = m.newSubManager()) {
            MicroBatch mb = batch(stepManager, ADVANTAGES);
            CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                    LEVELS, AdapterRoles.OLD);
            for (int j = 0; j < objective.passes(mb); j++) {
                try (NDManager passManager = stepManager.newSubManager()) {
                    passManager.tempAttachAll(mb.samples(), mb.advantages());
                    Pass p = objective.evaluate(mb, j, model, new StepMetrics());
                    assertSame(passManager, p.loss().getManager());
                    assertSame(passManager, p.prediction().policy().getManager());
                    assertSame(passManager, p.prediction().under(null, 4.5).getManager());
                    assertSame(passManager, p.prediction().klScale(KlForm.CODE).getManager());
                    assertSame(passManager, RewardAdaptiveKlStrength.perSample(0.1, 1e-4).coefficients(mb).getManager());
                }
                assertSame(stepManager, mb.samples().getManager());
            }
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(0, ImplicitRewardForm.ADAPTIVE,
                CenteringScope.PROMPT, MatchingLoss.MSE, LEVELS, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(1, null, CenteringScope.PROMPT, MatchingLoss.MSE,
                LEVELS, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, null, MatchingLoss.MSE,
                LEVELS, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT,
                null, LEVELS, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT,
                MatchingLoss.MSE, null, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new CrdObjective(1, ImplicitRewardForm.PLAIN, CenteringScope.PROMPT,
                MatchingLoss.MSE, LEVELS, " "));
    }
}
