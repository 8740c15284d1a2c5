package io.diffrl4j.methods.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;
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
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective.Pass;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.ToyFlowModel;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * DiffusionNFT on micro-batches that hold part of a group: per-row noise makes the gradient
 * accumulated over a group's parts equal to the whole group's (the loss is per sample, no group pass).
 */
class DiffusionNftPartialGroupsTest {
    private static final int DIM = 3;
    private static final int G = 4;
    private static final int B = 2 * G;
    private static final DiscreteNoiseLevels LEVELS = new DiscreteNoiseLevels(5, 1.0, 0.8);
    private static final float[] ADVANTAGES = {3f, 0f, -1.5f, 0.5f, -4f, 2f, 1f, -0.25f};

    private static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        AdapterSet old = model.adapters().copyOf(AdapterRoles.OLD, policy, false);
        perturb(policy, 12, 0.3);
        perturb(old, 13, 0.3);
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static NDArray owned(NDManager m, float[] v, Shape shape) {
        try (NDArray wrapped = m.create(v, shape)) {
            return wrapped.duplicate();
        }
    }

    /** Rows {@code from .. from+n-1} (epoch rows 16 + i) of the epoch's data, with {@code groups}. */
    private static MicroBatch batch(NDManager m, int from, int n, MicroBatch groups) {
        float[] x0 = new float[B * DIM];
        SeededNoise rng = new SeededNoise(5);
        for (int i = 0; i < x0.length; i++) {
            x0[i] = (float) (rng.nextGaussian() + 0.5);
        }
        int[] rows = new int[n];
        for (int i = 0; i < n; i++) {
            rows[i] = 16 + from + i;
        }
        return new MicroBatch(m, new MicroBatch.Place(rows, G),
                new MicroBatch.Drawn(owned(m, Arrays.copyOfRange(x0, from * DIM, (from + n) * DIM), new Shape(n, DIM)), List.of(), Conditioning.none(n), Conditioning.none(n), null),
                new MicroBatch.Scored(owned(m, Arrays.copyOfRange(ADVANTAGES, from, from + n), new Shape(n)), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(from), new SeededNoise(21)), groups);
    }

    private static List<float[]> accumulate(ToyFlowModel model, DiffusionNftObjective objective, List<MicroBatch> batches,
            int pass, double[] loss) {
        ReferenceKl kl = new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(0.1));
        for (MicroBatch mb : batches) {
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                Pass p = objective.evaluate(mb, pass, model, new StepMetrics());
                NDArray l = p.loss().add(kl.loss(mb, p.prediction(), new StepMetrics()));
                loss[0] += l.getFloat() / batches.size();
                gc.backward(ScalarMath.mul(l, 1.0 / batches.size()));
            }
        }
        List<float[]> out = new ArrayList<>();
        for (NDArray p : model.adapters().get(AdapterRoles.POLICY).parameters()) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    @Test
    void theGradientAccumulatedOverAGroupsPartsEqualsTheWholeGroups() {
        double worst = 0;
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            List<MicroBatch> whole = List.of(batch(m, 0, G, null), batch(m, G, G, null));
            DiffusionNftObjective objective = new DiffusionNftObjective(0.7, LEVELS, AdapterRoles.OLD);
            for (int j = 0; j < objective.passes(whole.get(0)); j++) {
                double[] wholeLoss = {0};
                List<float[]> want = accumulate(model, objective, whole, j, wholeLoss);
                for (int size : new int[] {G / 2, G / 4}) {
                    List<MicroBatch> parts = new ArrayList<>();
                    for (MicroBatch group : whole) {
                        for (int p = 0; p < G / size; p++) {
                            parts.add(batch(m, group.rows()[0] - 16 + p * size, size, group));
                        }
                    }
                    double[] partLoss = {0};
                    List<float[]> got = accumulate(model, objective, parts, j, partLoss);
                    double diff = 0;
                    double scale = 0;
                    for (int k = 0; k < want.size(); k++) {
                        for (int i = 0; i < want.get(k).length; i++) {
                            diff = Math.max(diff, Math.abs(want.get(k)[i] - got.get(k)[i]));
                            scale = Math.max(scale, Math.abs(want.get(k)[i]));
                        }
                    }
                    assertTrue(scale > 1e-4, "the policy gets a gradient");
                    worst = Math.max(worst, diff / scale);
                    assertTrue(diff / scale < 1e-5, "pass " + j + " parts of " + size + ": relative error " + diff / scale);
                    assertEquals(wholeLoss[0], partLoss[0], 1e-5 * Math.max(1, Math.abs(wholeLoss[0])));
                }
            }
        }
        System.out.println("NFT parts vs whole group: worst relative gradient error " + worst);
    }
}
