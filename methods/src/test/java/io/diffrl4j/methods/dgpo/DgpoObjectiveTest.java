package io.diffrl4j.methods.dgpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.ToyFlowModel;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DGPO's loss rebuilt by hand from the three models' velocities (policy, pretrained, old), and its
 * gradient against that of the group preference loss {@code softplus(S_g)} built with autograd.
 */
class DgpoObjectiveTest {
    private static final int G = 3;
    private static final int B = 6;
    private static final int DIM = 3;
    private static final float[] ADVANTAGES = {1.2f, -0.4f, -0.8f, 0.3f, 0.9f, -1.2f};

    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        perturb(policy, 12, 0.3);
        perturb(model.adapters().copyOf(Dgpo.OLD_SET, policy, false), 13, 0.05);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    private static MicroBatch batch(NDManager m, int[] rows, float[] advantages) {
        NDArray x0 = new SeededNoise(3).normal(m, new Shape(rows.length, DIM));
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(x0, List.of(), Conditioning.none(rows.length), Conditioning.none(rows.length), null),
                new MicroBatch.Scored(m.create(advantages), null),
                new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(5), new SeededNoise(99)));
    }

    private static MicroBatch batch(NDManager m) {
        return batch(m, new int[] {0, 1, 2, 3, 4, 5}, ADVANTAGES);
    }

    private static DgpoObjective objective(double clip) {
        return new DgpoObjective(100, clip, RolloutNoiseLevels.sharedSubset(2, 10, 1.0, 5), Dgpo.OLD_SET);
    }

    /** Per-sample matching errors of the set {@code set} at pass {@code j}'s inputs. */
    private static float[] errors(ToyFlowModel model, MicroBatch mb, DgpoObjective objective, int j, String set) {
        NDManager m = mb.manager();
        double[][] levels = mb.rowLevels(objective.noiseLevels(), DgpoObjective.LEVELS_STREAM);
        NDArray t = mb.levelColumn(levels, j);
        NDArray eps = mb.groupNormal(m, DgpoObjective.NOISE_STREAM + j);
        NDArray xt = FlowMatching.interpolate(mb.samples(), eps, t);
        NDArray v = model.adapters().with(set, () -> model.velocity(xt, t, mb.conditioning()));
        return FlowMatching.meanPerSample(FlowMatching.velocityTarget(mb.samples(), eps).sub(v).square()).toFloatArray();
    }

    @Test
    void theLossIsTheGroupWeightedAdvantageMatchingErrorWithClippedSamplesCounted() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m);
            // A clip range of 1e-3 clips some samples: the old model is 0.05 away from the policy.
            DgpoObjective objective = objective(1e-3);
            int clippedSeen = 0;
            for (int j = 0; j < 2; j++) {
                StepMetrics metrics = new StepMetrics();
                float loss = objective.evaluate(mb, j, model, metrics).loss().getFloat();
                float[] l = errors(model, mb, objective, j, AdapterRoles.POLICY);
                float[] lRef = errors(model, mb, objective, j, null);
                float[] lOld = errors(model, mb, objective, j, Dgpo.OLD_SET);
                double expected = 0;
                int clips = 0;
                for (int start = 0; start < B; start += G) {
                    double s = 0;
                    for (int i = start; i < start + G; i++) {
                        s += ADVANTAGES[i] * 100 * (l[i] - lRef[i]) / G;
                    }
                    double w = 1 / (1 + Math.exp(-s));
                    for (int i = start; i < start + G; i++) {
                        double ratio = Math.exp(lOld[i] - l[i]);
                        clips += (ADVANTAGES[i] > 0 ? ratio > 1.001 : ratio < 0.999) ? 1 : 0;
                        expected += w * ADVANTAGES[i] * l[i] / B;
                    }
                }
                clippedSeen += clips;
                assertEquals(expected, loss, 1e-5 * Math.max(1, Math.abs(expected)), "pass " + j);
                assertEquals((double) clips / B, metrics.means().get("clip_fraction"), 1e-6, "pass " + j);
            }
            assertTrue(clippedSeen > 0, "the test should exercise the clip");
        }
    }

    @Test
    void theGradientIsThatOfTheGroupPreferenceLossAndClippedSamplesGiveNone() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m);
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            for (double clip : new double[] {10.0, 1e-3}) {
                DgpoObjective objective = objective(clip);
                int j = 1;
                float[] l = errors(model, mb, objective, j, AdapterRoles.POLICY);
                float[] lOld = errors(model, mb, objective, j, Dgpo.OLD_SET);
                float[] lRef = errors(model, mb, objective, j, null);
                List<float[]> got = gradient(policy, () -> objective.evaluate(mb, j, model, new StepMetrics()).loss());
                // (G / (beta b)) sum_g softplus(S_g) with S_g = beta / G sum_i A_i (l_i - l_ref,i), the unclipped l_i with gradient.
                List<float[]> want = gradient(policy, () -> {
                    double[][] levels = mb.rowLevels(objective.noiseLevels(), DgpoObjective.LEVELS_STREAM);
                    NDArray t = mb.levelColumn(levels, j);
                    NDArray eps = mb.groupNormal(m, DgpoObjective.NOISE_STREAM + j);
                    NDArray xt = FlowMatching.interpolate(mb.samples(), eps, t);
                    NDArray err = FlowMatching.meanPerSample(FlowMatching.velocityTarget(mb.samples(), eps)
                            .sub(model.velocity(xt, t, mb.conditioning())).square());
                    float[] keep = new float[B];
                    float[] ref = new float[B];
                    for (int i = 0; i < B; i++) {
                        double ratio = Math.exp(lOld[i] - l[i]);
                        keep[i] = (ADVANTAGES[i] > 0 ? ratio > 1 + clip : ratio < 1 - clip) ? 0f : 1f;
                        ref[i] = lRef[i];
                    }
                    NDArray kept = err.mul(m.create(keep)).add(err.stopGradient().mul(m.create(keep).neg().add(1f)));
                    NDArray terms = kept.sub(m.create(ref)).mul(m.create(ADVANTAGES)).mul(100f / G);
                    NDArray s = terms.reshape(B / G, G).sum(new int[] {1});
                    NDArray softplus = s.exp().add(1f).log();
                    return softplus.sum().mul((float) G / (100f * B));
                });
                double scale = 0;
                for (int p = 0; p < got.size(); p++) {
                    for (int k = 0; k < got.get(p).length; k++) {
                        scale = Math.max(scale, Math.abs(want.get(p)[k]));
                        assertEquals(want.get(p)[k], got.get(p)[k], 1e-4 * Math.max(1e-3, Math.abs(want.get(p)[k])),
                                "clip " + clip + ", parameter " + p + " entry " + k);
                    }
                }
                assertTrue(scale > 1e-5, "the gradient should not vanish");
            }
        }
    }

    private static List<float[]> gradient(AdapterSet policy, java.util.function.Supplier<NDArray> loss) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(loss.get());
        }
        List<float[]> out = new java.util.ArrayList<>();
        for (NDArray p : policy.parameters()) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    @Test
    void aGroupSharesItsLevelsAndNoiseWhicheverMicroBatchHoldsIt() {
        try (NDManager m = NDManager.newBaseManager()) {
            MicroBatch whole = batch(m);
            MicroBatch second = batch(m, new int[] {3, 4, 5}, new float[] {0.3f, 0.9f, -1.2f});
            DgpoObjective objective = objective(1e-2);
            double[][] all = whole.rowLevels(objective.noiseLevels(), DgpoObjective.LEVELS_STREAM);
            double[][] part = second.rowLevels(objective.noiseLevels(), DgpoObjective.LEVELS_STREAM);
            double[] eligible = java.util.Arrays.copyOf(io.diffrl4j.core.flow.InferenceSchedule.of(10, 1.0).sigmas(), 5);
            for (int i = 0; i < B; i++) {
                assertArrayEquals(all[i - i % G], all[i], "row " + i + " trains its group's levels");
                assertNotEquals(all[i][0], all[i][1], "distinct levels");
                for (double level : all[i]) {
                    assertTrue(java.util.Arrays.stream(eligible).anyMatch(e -> e == level), "among the first 5: " + level);
                }
            }
            assertArrayEquals(all[3], part[0]);
            float[] noise = whole.groupNormal(m, 7).toFloatArray();
            float[] partNoise = second.groupNormal(m, 7).toFloatArray();
            assertArrayEquals(java.util.Arrays.copyOfRange(noise, 0, DIM), java.util.Arrays.copyOfRange(noise, 2 * DIM, 3 * DIM));
            assertNotEquals(noise[0], noise[3 * DIM], "groups draw apart");
            assertArrayEquals(java.util.Arrays.copyOfRange(noise, 3 * DIM, 6 * DIM), partNoise);
        }
    }

    @Test
    void aPartOfAGroupWeighsItByTheWholeGroup() {
        // Group 0 (rows 0-2) cut into parts {0, 1} and {2}: b-weighted, the parts' losses add up to the whole's.
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch whole = batch(m, new int[] {0, 1, 2}, new float[] {1.2f, -0.4f, -0.8f});
            MicroBatch first = part(m, whole, new int[] {0, 1});
            MicroBatch last = part(m, whole, new int[] {2});
            DgpoObjective objective = objective(1e-3);
            for (int j = 0; j < 2; j++) {
                double all = 3 * objective.evaluate(whole, j, model, new StepMetrics()).loss().getFloat();
                double parts = 2 * objective.evaluate(first, j, model, new StepMetrics()).loss().getFloat()
                        + objective.evaluate(last, j, model, new StepMetrics()).loss().getFloat();
                assertEquals(all, parts, 1e-6 * Math.max(1, Math.abs(all)), "pass " + j);
            }
        }
    }

    /** Rows {@code at} of {@code whole} as a part of its groups, carrying {@code whole} as its group batch. */
    private static MicroBatch part(NDManager m, MicroBatch whole, int[] at) {
        float[] x = whole.samples().toFloatArray();
        float[] a = whole.advantages().toFloatArray();
        float[] xs = new float[at.length * DIM];
        float[] as = new float[at.length];
        int[] rows = new int[at.length];
        for (int k = 0; k < at.length; k++) {
            System.arraycopy(x, at[k] * DIM, xs, k * DIM, DIM);
            as[k] = a[at[k]];
            rows[k] = whole.rows()[at[k]];
        }
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(m.create(xs, new Shape(at.length, DIM)), List.of(), Conditioning.none(at.length),
                        Conditioning.none(at.length), null),
                new MicroBatch.Scored(m.create(as), null),
                new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(5), new SeededNoise(99)), whole);
    }

    @Test
    void malformedBatchesAndLevelsThatAreNotSharedAreRefused() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch half = batch(m, new int[] {0, 1}, new float[] {1f, -1f});
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> objective(1e-2).evaluate(half, 0, model, new StepMetrics()));
            assertTrue(e.getMessage().contains("whole groups"), e.getMessage());
            assertThrows(IllegalArgumentException.class,
                    () -> new DgpoObjective(100, 1e-2, new RolloutNoiseLevels(10, 1.0, 0.4), Dgpo.OLD_SET));
            assertThrows(IllegalArgumentException.class, () -> RolloutNoiseLevels.sharedSubset(6, 10, 1.0, 5));
        }
    }
}
