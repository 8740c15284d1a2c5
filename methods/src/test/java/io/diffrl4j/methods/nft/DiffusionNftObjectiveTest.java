package io.diffrl4j.methods.nft;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
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
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective.Pass;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.Map;
import org.junit.jupiter.api.Test;

class DiffusionNftObjectiveTest {
    private static final int B = 2;
    private static final int DIM = 2;
    /** 4 levels of a 5-step shift-1 schedule. */
    private static final DiscreteNoiseLevels LEVELS = new DiscreteNoiseLevels(5, 1.0, 0.8);

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    /** A toy with a perturbed policy, the "old" set a copy of it, policy active. */
    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        perturb(policy, 12, 0.3);
        model.adapters().copyOf(AdapterRoles.OLD, policy, false);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static MicroBatch batch(NDManager m, ToyFlowModel model, float[] advantages, long rngSeed) {
        TrajectorySampler ode = TrajectorySampler.builder().optSteps(4).optShift(1.0).optGuidanceScale(1.0)
                .optWindow(SdeWindow.none()).build();
        Rollout r = model.adapters().with(AdapterRoles.OLD, () -> ode.sample(m, model, Conditioning.none(1), null, B,
                new Shape(DIM), new SeededNoise(5)));
        assertTrue(r.steps().isEmpty());
        return new MicroBatch(m, new MicroBatch.Place(new int[] {0, 1}, B),
                new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(B), Conditioning.none(B), ode),
                new MicroBatch.Scored(m.create(advantages), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(rngSeed)));
    }

    /** Host values of one pass: per-sample L_pos, L_neg and the loss, in double. */
    private record HostPass(double[] lossPos, double[] lossNeg, double loss, double[] msePos) {}

    private static HostPass host(NDManager m, ToyFlowModel model, DiffusionNftObjective objective, MicroBatch mb,
            int pass, float[] advantages) {
        float[] x0 = mb.samples().toFloatArray();
        float[] eps = objective.noise(mb, pass).toFloatArray();
        double[][] levels = objective.levels(mb);
        float[] xt = new float[x0.length];
        float[] s = new float[B];
        for (int i = 0; i < B; i++) {
            s[i] = (float) levels[i][pass];
            for (int k = 0; k < DIM; k++) {
                xt[i * DIM + k] = (1 - s[i]) * x0[i * DIM + k] + s[i] * eps[i * DIM + k];
            }
        }
        NDArray xtArray = m.create(xt, new Shape(B, DIM));
        NDArray sigma = m.create(s);
        float[] vTheta = model.adapters().with(AdapterRoles.POLICY,
                () -> model.velocity(xtArray, sigma, Conditioning.none(B))).toFloatArray();
        float[] vOld = model.adapters().with(AdapterRoles.OLD,
                () -> model.velocity(xtArray, sigma, Conditioning.none(B))).toFloatArray();
        double beta = objective.beta();
        double[] lp = new double[B];
        double[] ln = new double[B];
        double[] msePos = new double[B];
        double loss = 0;
        for (int i = 0; i < B; i++) {
            double sqP = 0;
            double absP = 0;
            double sqN = 0;
            double absN = 0;
            for (int k = 0; k < DIM; k++) {
                int e = i * DIM + k;
                double vPos = beta * vTheta[e] + (1 - beta) * vOld[e];
                double vNeg = (1 + beta) * vOld[e] - beta * vTheta[e];
                double dPos = xt[e] - s[i] * vPos - x0[e];
                double dNeg = xt[e] - s[i] * vNeg - x0[e];
                sqP += dPos * dPos / DIM;
                absP += Math.abs(dPos) / DIM;
                sqN += dNeg * dNeg / DIM;
                absN += Math.abs(dNeg) / DIM;
            }
            lp[i] = sqP / Math.max(absP, 1e-5);
            ln[i] = sqN / Math.max(absN, 1e-5);
            msePos[i] = sqP;
            double r = Math.max(0, Math.min(1, advantages[i] / 5.0 / 2 + 0.5));
            loss += 5 * (r * lp[i] + (1 - r) * ln[i]) / beta / B;
        }
        return new HostPass(lp, ln, loss, msePos);
    }

    @Test
    void policyEqualToOldGivesTheAdaptiveMseClosedForm() {
        float[] advantages = {2.5f, -1.0f};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, model, advantages, 3);
            DiffusionNftObjective objective = new DiffusionNftObjective(0.5, LEVELS, AdapterRoles.OLD);
            assertEquals(4, objective.passes(mb));
            for (int j = 0; j < objective.passes(mb); j++) {
                StepMetrics metrics = new StepMetrics();
                Pass p = objective.evaluate(mb, j, model, metrics);
                HostPass h = host(m, model, objective, mb, j, advantages);
                // v_pos = v_neg = v_old: L_pos = L_neg = L_i and r~ drops out.
                double meanL = 0;
                for (int i = 0; i < B; i++) {
                    assertEquals(h.lossPos()[i], h.lossNeg()[i], 1e-12);
                    meanL += h.lossPos()[i] / B;
                }
                assertEquals(5 * meanL / 0.5, h.loss(), 1e-9);
                assertEquals(h.loss(), p.loss().getFloat(), 1e-5 * h.loss(), "pass " + j);
                Map<String, Double> means = metrics.means();
                assertEquals(p.loss().getFloat(), means.get("policy_loss"), 0.0);
                assertEquals(meanL, means.get("loss_pos"), 1e-5 * meanL);
                assertEquals(meanL, means.get("loss_neg"), 1e-5 * meanL);
            }
        }
    }

    @Test
    void policyAwayFromOldMatchesTheHostFormula() {
        float[] advantages = {1.5f, -3.0f};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            perturb(model.adapters().get(AdapterRoles.POLICY), 14, 0.2);
            MicroBatch mb = batch(m, model, advantages, 3);
            for (double beta : new double[] {1.0, 0.1}) {
                DiffusionNftObjective objective = new DiffusionNftObjective(beta, LEVELS, AdapterRoles.OLD);
                for (int j = 0; j < objective.passes(mb); j++) {
                    Pass p = objective.evaluate(mb, j, model, new StepMetrics());
                    HostPass h = host(m, model, objective, mb, j, advantages);
                    assertTrue(Math.abs(h.lossPos()[0] - h.lossNeg()[0]) > 1e-4, "policy != old");
                    assertEquals(h.loss(), p.loss().getFloat(), 1e-5 * h.loss(), "beta " + beta + " pass " + j);
                }
            }
        }
    }

    @Test
    void oneSgdStepWithPositiveAdvantageLowersThatSamplesPositiveLoss() {
        // Sample 1 has A = 0 (r~ = 1/2): with policy == old its L_pos and L_neg gradients cancel, so
        // the step follows sample 0's r~ L_pos + (1 - r~) L_neg with r~ = 0.8 alone.
        float[] advantages = {3f, 0f};
        double lr = 1e-4;
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, model, advantages, 3);
            DiffusionNftObjective objective = new DiffusionNftObjective(1.0, LEVELS, AdapterRoles.OLD);
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            for (int j = 0; j < objective.passes(mb); j++) {
                HostPass before = host(m, model, objective, mb, j, advantages);
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    gc.backward(objective.evaluate(mb, j, model, new StepMetrics()).loss());
                }
                for (NDArray param : policy.parameters()) {
                    try (NDArray g = param.getGradient()) {
                        param.subi(g.mul(lr));
                        g.subi(g);
                    }
                }
                HostPass after = host(m, model, objective, mb, j, advantages);
                assertTrue(after.msePos()[0] < before.msePos()[0],
                        "pass " + j + ": mse " + before.msePos()[0] + " -> " + after.msePos()[0]);
                // The step descends L_pos with its adaptive weight held constant (a stop-gradient); the
                // weight re-measured after the step also shrinks, so L_pos itself may go either way.
                double weight = before.msePos()[0] / before.lossPos()[0];
                assertTrue(after.msePos()[0] / weight < before.lossPos()[0],
                        "pass " + j + ": L_pos at the step's weight " + before.lossPos()[0] + " -> "
                                + after.msePos()[0] / weight);
                // Re-align old with the policy so that the next pass starts from policy == old again.
                model.adapters().get(AdapterRoles.OLD).copyFrom(policy);
            }
        }
    }

    @Test
    void drawsAreMadeOncePerMicroBatchAndAreDeterministic() {
        float[] advantages = {1f, -1f};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, model, advantages, 3);
            DiffusionNftObjective a = new DiffusionNftObjective(1.0, LEVELS, AdapterRoles.OLD);
            double[][] levels = a.levels(mb);
            float first = a.evaluate(mb, 2, model, new StepMetrics()).loss().getFloat();
            assertSame(levels, a.levels(mb), "one draw per micro-batch");
            DiffusionNftObjective b = new DiffusionNftObjective(1.0, LEVELS, AdapterRoles.OLD);
            assertEquals(first, b.evaluate(mb, 2, model, new StepMetrics()).loss().getFloat(), 0f);
            for (int i = 0; i < B; i++) {
                assertArrayEquals(levels[i], b.levels(mb)[i], 0.0);
                double[] sorted = levels[i].clone();
                java.util.Arrays.sort(sorted);
                double[] all = LEVELS.levels();
                java.util.Arrays.sort(all);
                assertArrayEquals(all, sorted, 0.0, "each sample visits every level once");
            }
            assertArrayEquals(a.noise(mb, 1).toFloatArray(), b.noise(mb, 1).toFloatArray(), 0f);
            assertFalse(java.util.Arrays.equals(a.noise(mb, 0).toFloatArray(), a.noise(mb, 1).toFloatArray()));
            MicroBatch other = batch(m, model, advantages, 4);
            assertTrue(a.levels(other) != levels);
            assertFalse(java.util.Arrays.equals(a.noise(mb, 0).toFloatArray(), a.noise(other, 0).toFloatArray()));
            assertThrows(IndexOutOfBoundsException.class, () -> a.evaluate(mb, 4, model, new StepMetrics()));
        }
    }

    @Test
    void predictionIsTheVelocityAndTheKlIsItsMse() {
        float[] advantages = {1f, -1f};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m, model, advantages, 3);
            DiffusionNftObjective objective = new DiffusionNftObjective();
            assertEquals(9, objective.passes(mb), "9 of the rollout's 10 levels");
            Prediction p = objective.evaluate(mb, 0, model, new StepMetrics()).prediction();
            assertEquals(1.0, p.guidance());
            assertEquals(1f, p.klScale(KlForm.CODE).getFloat());
            assertEquals(1f, p.klScale(KlForm.PAPER).getFloat());
            // old == policy: no distance; the pretrained base differs (the policy was perturbed).
            ReferenceKl toOld = new ReferenceKl(AdapterRoles.OLD, 1.0, KlForm.CODE, KlStrength.constant(1));
            assertEquals(0f, toOld.perSample(mb, p).abs().max().getFloat(), 0f);
            NDArray base = p.under(null, 1.0);
            assertSame(base, p.under(null, 1.0));
            float[] vTheta = p.policy().toFloatArray();
            float[] vBase = base.toFloatArray();
            float[] kl = new ReferenceKl(null, 1.0, KlForm.PAPER, KlStrength.constant(1)).perSample(mb, p).toFloatArray();
            for (int i = 0; i < B; i++) {
                double mse = 0;
                for (int k = 0; k < DIM; k++) {
                    double d = vTheta[i * DIM + k] - vBase[i * DIM + k];
                    mse += d * d / DIM;
                }
                assertTrue(mse > 0);
                assertEquals(mse, kl[i], 1e-5 * mse);
            }
            // Guided reference: the toy ignores text, so CFG at any scale gives the same velocity.
            assertArrayEquals(vBase, p.under(null, 4.5).toFloatArray(), 1e-5f);
        }
    }

    @Test
    void aPassLivesInTheScopeTheBatchIsAttachedTo() {
        float[] advantages = {1f, -1f};
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m);
                NDManager stepManager = m.newSubManager()) {
            MicroBatch mb = batch(stepManager, model, advantages, 3);
            DiffusionNftObjective objective = new DiffusionNftObjective(1.0, LEVELS, AdapterRoles.OLD);
            for (int j = 0; j < objective.passes(mb); j++) {
                try (NDManager passManager = stepManager.newSubManager()) {
                    passManager.tempAttachAll(mb.samples(), mb.advantages());
                    Pass p = objective.evaluate(mb, j, model, new StepMetrics());
                    assertSame(passManager, p.loss().getManager());
                    assertSame(passManager, p.prediction().policy().getManager());
                    assertSame(passManager, p.prediction().under(null, 1.0).getManager());
                    assertSame(passManager, p.prediction().klScale(KlForm.CODE).getManager());
                }
                assertSame(stepManager, mb.samples().getManager());
            }
        }
    }

    @Test
    void rejectsBadSettings() {
        assertThrows(IllegalArgumentException.class, () -> new DiffusionNftObjective(0, LEVELS, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new DiffusionNftObjective(1, null, AdapterRoles.OLD));
        assertThrows(IllegalArgumentException.class, () -> new DiffusionNftObjective(1, LEVELS, " "));
    }
}
