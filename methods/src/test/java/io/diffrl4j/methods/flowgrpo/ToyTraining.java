package io.diffrl4j.methods.flowgrpo;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.models.testing.ToyFlowModel;
import java.util.ArrayList;
import java.util.List;

/** Shared fixtures: toy model, rollouts, hand-built micro-batches and gradient read-out. */
final class ToyTraining {
    static final int PROMPTS = 2;
    static final int GROUP = 3;
    static final int B = PROMPTS * GROUP;
    static final int DIM = 3;

    private ToyTraining() {}

    static ToyFlowModel model(NDManager m) {
        return new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
    }

    /** Adds Gaussian noise to every LoRA factor, so that every factor gets a gradient. */
    static void perturb(AdapterSet set, long seed, double scale) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(scale));
        }
    }

    static Rollout rollout(NDManager m, Sampler sampler, ToyFlowModel model, long seed) {
        return sampler.sample(m, model, Conditioning.none(PROMPTS), Conditioning.none(PROMPTS), GROUP,
                new Shape(DIM), new SeededNoise(seed));
    }

    /**
     * @return a rollout drawn by a "sampler" set slightly off a perturbed policy, which is left
     *     active: an off-policy batch whose ratios are not 1
     */
    static Rollout offPolicy(NDManager m, ToyFlowModel model, Sampler sampler) {
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        perturb(policy, 12, 0.3);
        AdapterSet other = model.adapters().copyOf(AdapterRoles.SAMPLER, policy, false);
        perturb(other, 13, 0.01);
        model.adapters().use(AdapterRoles.SAMPLER);
        Rollout r = rollout(m, sampler, model, 21);
        model.adapters().use(AdapterRoles.POLICY);
        return r;
    }

    static MicroBatch batch(NDManager m, Sampler sampler, Rollout r, float[] advantages) {
        int[] rows = new int[B];
        for (int i = 0; i < B; i++) {
            rows[i] = i;
        }
        return new MicroBatch(m, new MicroBatch.Place(rows, GROUP),
                new MicroBatch.Drawn(r.samples(), r.steps(), Conditioning.none(B), Conditioning.none(B), sampler),
                new MicroBatch.Scored(m.create(advantages), null), new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(99)));
    }

    /** Reads the gradients of {@code params} to the host and zeroes them (DJL accumulates). */
    static List<float[]> takeGradients(List<NDArray> params) {
        List<float[]> out = new ArrayList<>();
        for (NDArray p : params) {
            try (NDArray g = p.getGradient()) {
                out.add(g.toFloatArray());
                g.subi(g);
            }
        }
        return out;
    }

    static double maxAbs(List<float[]> a) {
        double m = 0;
        for (float[] v : a) {
            for (float x : v) {
                m = Math.max(m, Math.abs(x));
            }
        }
        return m;
    }

    /** @return max |a - scale * b| */
    static double maxAbsDiff(List<float[]> a, List<float[]> b, double scale) {
        double m = 0;
        for (int i = 0; i < a.size(); i++) {
            for (int j = 0; j < a.get(i).length; j++) {
                m = Math.max(m, Math.abs(a.get(i)[j] - scale * b.get(i)[j]));
            }
        }
        return m;
    }
}
