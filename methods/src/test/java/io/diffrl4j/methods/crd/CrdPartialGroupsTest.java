package io.diffrl4j.methods.crd;

import io.diffrl4j.core.advantage.NormalisedReward;
import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective.Pass;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.models.testing.TinyModels;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * Micro-batches that hold part of a group ({@link MicroBatch#groups()}): the gradient accumulated
 * over a group's parts equals the whole group's, on a tiny text-conditioned MMDiT, with the CFG-anchored
 * KL added as the trainer adds it.
 */
class CrdPartialGroupsTest {
    private static final int G = 4;
    private static final int GROUPS = 2;
    private static final int B = G * GROUPS;
    private static final DiscreteNoiseLevels LEVELS = new DiscreteNoiseLevels(4, 3.0, 0.75);
    private static final float[] ADVANTAGES = {1.5f, -0.5f, -1.0f, 0.0f, 2.0f, 0.25f, -2.25f, 4.0f};
    /** Epoch rows 8..15: prompts 2 and 3 of a 4-prompt epoch. */
    private static final int FIRST_ROW = 8;

    /** Counts forward passes and the batch sizes they ran with. */
    private static final class Counting implements AdaptedFlowModel {
        final MmditModel inner;
        final List<Long> batches = new ArrayList<>();

        Counting(MmditModel inner) {
            this.inner = inner;
        }

        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning) {
            batches.add(x.getShape().get(0));
            return inner.velocity(x, sigma, conditioning);
        }

        @Override
        public Adapters adapters() {
            return inner.adapters();
        }

        @Override
        public void close() {
            inner.close();
        }
    }

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    /** Policy and moving reference both perturbed differently, so rho is not 0; policy active. */
    private static Counting model(NDManager m) {
        Counting model = new Counting(TinyModels.mmdit(m, 3));
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(4));
        AdapterSet old = model.adapters().copyOf(AdapterRoles.OLD, policy, false);
        perturb(policy, 12, 0.3);
        perturb(old, 13, 0.3);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static RewardBatch rewards() {
        List<Prompt> prompts = new ArrayList<>();
        for (String p : new String[] {"a", "b", "c", "d"}) {
            prompts.addAll(Collections.nCopies(G, Prompt.of(p)));
        }
        double[] raw = new double[4 * G];
        for (int i = 0; i < raw.length; i++) {
            raw[i] = (i * 7 % 11) / 10.0;
        }
        return new RewardBatch("r", Map.of("r", raw), null, prompts, G);
    }

    /** Two whole groups, rows 8..15, with an epoch stream different from the batch's own stream. */
    private static MicroBatch whole(NDManager m) {
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = FIRST_ROW + i;
        }
        NDArray x0 = new SeededNoise(6).normal(m, new Shape(B, 4, 8, 8));
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(x0, List.of(), TinyModels.conditioning(m, B, 1), TinyModels.conditioning(m, B, 2), null),
                new MicroBatch.Scored(owned(m, ADVANTAGES), rewards()), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(8), new SeededNoise(9)), null);
    }

    private static NDArray owned(NDManager m, float[] v) {
        try (NDArray wrapped = m.create(v)) {
            return wrapped.duplicate();
        }
    }

    private static NDArray rows(NDArray a, int from, int n) {
        return a.get(from + ":" + (from + n)).duplicate();
    }

    private static Conditioning rows(Conditioning c, int from, int n) {
        return Conditioning.of(rows(c.sequence(), from, n), rows(c.pooled(), from, n));
    }

    /** Rows {@code from .. from+n-1} of {@code b}, carrying {@code groups} (null: whole groups). */
    static MicroBatch slice(MicroBatch b, int from, int n, MicroBatch groups) {
        return new MicroBatch(b.manager(), new MicroBatch.Place(Arrays.copyOfRange(b.rows(), from, from + n), b.groupSize()),
                new MicroBatch.Drawn(rows(b.samples(), from, n), List.of(), rows(b.conditioning(), from, n), rows(b.unconditional(), from, n), b.sampler()),
                new MicroBatch.Scored(rows(b.advantages(), from, n), b.rewards()), new MicroBatch.Update(b.progress(), b.rng().fork(from), b.epochRng()), groups);
    }

    /** The whole batch cut as the trainer cuts it: per group a group batch, then parts of m rows. */
    static List<MicroBatch> parts(MicroBatch whole, int m) {
        List<MicroBatch> out = new ArrayList<>();
        for (int k = 0; k < whole.size() / G; k++) {
            MicroBatch group = slice(whole, k * G, G, null);
            for (int p = 0; p < G / m; p++) {
                out.add(slice(whole, k * G + p * m, m, group));
            }
        }
        return out;
    }

    private static List<float[]> takeGradients(AdaptedFlowModel model) {
        List<float[]> out = new ArrayList<>();
        for (NDArray p : model.adapters().get(AdapterRoles.POLICY).parameters()) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    /** Backpropagates (objective + regularizer) of one pass over the batches, each scaled by 1/n; returns the mean loss. */
    private static double accumulate(AdaptedFlowModel model, CrdObjective objective, Regularizer kl, List<MicroBatch> batches,
            int pass) {
        double sum = 0;
        for (MicroBatch mb : batches) {
            try (NDManager scope = mb.manager().newSubManager();
                    GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                scope.tempAttachAll(mb.samples(), mb.advantages());
                Pass p = objective.evaluate(mb, pass, model, new StepMetrics());
                NDArray loss = kl == null ? p.loss() : p.loss().add(kl.loss(mb, p.prediction(), new StepMetrics()));
                sum += loss.getFloat();
                gc.backward(ScalarMath.mul(loss, 1.0 / batches.size()));
            }
        }
        return sum / batches.size();
    }

    /** max |a - b| / max |a| over all parameters. */
    static double relativeError(List<float[]> a, List<float[]> b) {
        double diff = 0;
        double scale = 0;
        for (int k = 0; k < a.size(); k++) {
            for (int i = 0; i < a.get(k).length; i++) {
                diff = Math.max(diff, Math.abs(a.get(k)[i] - b.get(k)[i]));
                scale = Math.max(scale, Math.abs(a.get(k)[i]));
            }
        }
        assertTrue(scale > 1e-6, "the gradient is not zero: " + scale);
        return diff / scale;
    }

    @Test
    void theGradientAccumulatedOverAGroupsPartsEqualsTheWholeGroups() {
        Object[][] variants = {
            {ImplicitRewardForm.ADAPTIVE, MatchingLoss.MSE, RewardAdaptiveKlStrength.perSample(0.1, 1e-4)},
            {ImplicitRewardForm.PLAIN, MatchingLoss.BCE, RewardAdaptiveKlStrength.perBatch(0.1, 1e-4)},
        };
        double worst = 0;
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            MicroBatch whole = whole(m);
            // The trainer's whole-group micro-batches: one group each (the per-batch KL strength is per micro-batch).
            List<MicroBatch> groups = List.of(slice(whole, 0, G, null), slice(whole, G, G, null));
            for (Object[] v : variants) {
                CrdObjective objective = new CrdObjective(0.7, (ImplicitRewardForm) v[0], CenteringScope.PROMPT,
                        (MatchingLoss) v[1], LEVELS, AdapterRoles.OLD);
                CfgAnchoredKl kl = new CfgAnchoredKl(4.5, (RewardAdaptiveKlStrength) v[2]);
                for (int j = 0; j < objective.passes(whole); j++) {
                    double wholeLoss = accumulate(model, objective, kl, groups, j);
                    List<float[]> wholeGradient = takeGradients(model);
                    for (int size : new int[] {G / 2, G / 4}) {
                        List<MicroBatch> parts = parts(whole, size);
                        double partLoss = accumulate(model, objective, kl, parts, j);
                        double error = relativeError(wholeGradient, takeGradients(model));
                        worst = Math.max(worst, error);
                        String what = v[0] + " " + v[1] + " " + v[2] + " pass " + j + " parts of " + size;
                        assertTrue(error < 1e-5, what + ": relative gradient error " + error);
                        assertEquals(wholeLoss, partLoss, 1e-5 * Math.max(1, Math.abs(wholeLoss)), what + ": loss");
                    }
                }
            }
        }
        System.out.println("CRD parts vs whole group: worst relative gradient error " + worst);
    }

    @Test
    void aPartSeesTheSameNoiseAndLevelsAsItsRowsInTheWholeGroup() {
        try (NDManager m = NDManager.newBaseManager()) {
            MicroBatch whole = whole(m);
            CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                    LEVELS, AdapterRoles.OLD);
            double[][] wholeLevels = objective.levels(whole);
            float[] wholeNoise = objective.noise(whole, 1).toFloatArray();
            int per = wholeNoise.length / B;
            for (MicroBatch part : parts(whole, 1)) {
                int i = part.rows()[0] - FIRST_ROW;
                assertEquals(Arrays.toString(wholeLevels[i]), Arrays.toString(objective.levels(part)[0]));
                float[] noise = objective.noise(part, 1).toFloatArray();
                assertEquals(Arrays.toString(Arrays.copyOfRange(wholeNoise, i * per, (i + 1) * per)), Arrays.toString(noise));
                assertEquals(i % G, part.positionsInGroups()[0], "a part's group batch holds only its group");
            }
        }
    }

    @Test
    void theGroupPassRunsOncePerGroupAndPassWithoutAGraph() {
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            MicroBatch whole = whole(m);
            CrdObjective objective = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE,
                    LEVELS, AdapterRoles.OLD);
            List<MicroBatch> parts = parts(whole, 1);
            model.batches.clear();
            for (int j = 0; j < objective.passes(whole); j++) {
                accumulate(model, objective, null, parts, j);
            }
            takeGradients(model);
            // Per pass: every part runs the policy and the reference on its 1 row; each group once more
            // on its G rows (policy and reference), its other parts reuse the means.
            long groupPasses = model.batches.stream().filter(n -> n == G).count();
            assertEquals(2L * GROUPS * objective.passes(whole), groupPasses, model.batches.toString());
            assertEquals(2L * B * objective.passes(whole), model.batches.stream().filter(n -> n == 1).count());
            // The group pass (policy, reference) comes before the part's own forward, whose graph it
            // would otherwise share peak memory with.
            model.batches.clear();
            new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT, MatchingLoss.MSE, LEVELS, AdapterRoles.OLD)
                    .evaluate(parts.get(0), 0, model, new StepMetrics());
            assertEquals(List.of((long) G, (long) G, 1L, 1L), model.batches);

            // Micro-batch centring centres over the part itself and needs no group pass.
            CrdObjective perBatch = new CrdObjective(1.0, ImplicitRewardForm.ADAPTIVE, CenteringScope.MICRO_BATCH,
                    MatchingLoss.MSE, LEVELS, AdapterRoles.OLD);
            model.batches.clear();
            MicroBatch part = parts(whole, 2).get(1);
            float got = perBatch.evaluate(part, 0, model, new StepMetrics()).loss().getFloat();
            NDArray rho = perBatch.forward(part, 0, model).rho();
            float want = CenteredRewardMatching.loss(rho, NormalisedReward.of(part.advantages()), G, 1.0,
                    CenteringScope.MICRO_BATCH, MatchingLoss.MSE).getFloat();
            assertEquals(want, got, 0f);
            assertFalse(model.batches.contains((long) G), model.batches.toString());

            // Inside a collector the no-grad pass records nothing: backward through it fails, and the
            // mode is back on afterwards.
            MicroBatch group = parts.get(0).groups();
            NDArray sigma = m.full(new Shape(G), 0.5f);
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDArray v = NoGrad.run(() -> model.velocity(group.samples(), sigma, group.conditioning()));
                assertThrows(Exception.class, () -> gc.backward(v.sum()));
            }
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(model.velocity(group.samples(), sigma, group.conditioning()).square().sum());
            }
            double max = 0;
            for (float[] g : takeGradients(model)) {
                for (float x : g) {
                    max = Math.max(max, Math.abs(x));
                }
            }
            assertTrue(max > 0, "recording is back on after the no-grad pass");
        }
    }

    @Test
    void aPartWithoutItsGroupIsRejected() {
        try (NDManager m = NDManager.newBaseManager(); Counting model = model(m)) {
            MicroBatch whole = whole(m);
            CrdObjective objective = new CrdObjective();
            MicroBatch orphan = slice(whole, 0, 2, null);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> objective.evaluate(orphan, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("MicroBatch.groups()"), e.getMessage());
            MicroBatch group = slice(whole, 0, G, null);
            MicroBatch part = slice(whole, 0, 2, group);
            e = assertThrows(IllegalArgumentException.class, () -> slice(whole, 0, 2, part));
            assertTrue(e.getMessage().contains("whole groups"), e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> slice(whole, G, 2, group));
            assertTrue(e.getMessage().contains("is not in the group batch"), e.getMessage());
        }
    }
}
