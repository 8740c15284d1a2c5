package io.diffrl4j.methods.awm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.CentralDifferences;
import io.diffrl4j.models.testing.ToyFlowModel;
import org.junit.jupiter.api.Test;

/**
 * AWM's loss rebuilt by hand from the model's velocity: {@code mean_i clip(A_i, -5, 5) / 5 *
 * ((mse_i + 1e-10)^p - 1e-10^p) t_i / p}, the generalised Huber weighting's other forms by their
 * formulas, and the gradient through the power against central differences.
 */
class AwmObjectiveTest {
    private static final int B = 6;
    private static final int DIM = 3;
    private static final float[] ADVANTAGES = {7f, -0.5f, 2.5f, -6f, 0f, 1f};

    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        SeededNoise rng = new SeededNoise(12);
        for (NDArray p : policy.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(0.3));
        }
        model.adapters().use(AdapterRoles.POLICY);
        return model;
    }

    private static MicroBatch batch(NDManager m) {
        int[] rows = {0, 1, 2, 3, 4, 5};
        NDArray x0 = new SeededNoise(3).normal(m, new Shape(B, DIM));
        return new MicroBatch(m, new MicroBatch.Place(rows, 3),
                new MicroBatch.Drawn(x0, java.util.List.of(), Conditioning.none(B), Conditioning.none(B), null),
                new MicroBatch.Scored(m.create(ADVANTAGES), null),
                new MicroBatch.Update(new TrainingProgress(0, 0), new SeededNoise(99)));
    }

    private static AwmObjective objective() {
        return new AwmObjective(StratifiedRolloutNoiseLevels.overIndices(3, 10, 1.0, 1, 9), TimeWeighting.ghuber(0.25));
    }

    @Test
    void theLossIsTheAdvantageWeightedGeneralisedHuberMatchingError() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m);
            AwmObjective objective = objective();
            assertEquals(3, objective.passes(mb));
            double[][] levels = mb.rowLevels(objective.noiseLevels(), AwmObjective.LEVELS_STREAM);
            for (int j = 0; j < 3; j++) {
                StepMetrics metrics = new StepMetrics();
                float loss = objective.evaluate(mb, j, model, metrics).loss().getFloat();
                float[] x0 = mb.samples().toFloatArray();
                float[] eps = mb.rowNormal(m, AwmObjective.NOISE_STREAM + j).toFloatArray();
                float[] t = new float[B];
                float[] xt = new float[B * DIM];
                for (int i = 0; i < B; i++) {
                    t[i] = (float) levels[i][j];
                    for (int k = 0; k < DIM; k++) {
                        xt[i * DIM + k] = (1 - t[i]) * x0[i * DIM + k] + t[i] * eps[i * DIM + k];
                    }
                }
                float[] v = model.velocity(m.create(xt, new Shape(B, DIM)), m.create(t), Conditioning.none(B)).toFloatArray();
                double expected = 0;
                double mseMean = 0;
                for (int i = 0; i < B; i++) {
                    double mse = 0;
                    for (int k = 0; k < DIM; k++) {
                        double d = v[i * DIM + k] - (eps[i * DIM + k] - x0[i * DIM + k]);
                        mse += d * d / DIM;
                    }
                    mseMean += mse / B;
                    double a = Math.max(-5, Math.min(5, ADVANTAGES[i])) / 5;
                    expected += a * (Math.pow(mse + 1e-10, 0.25) - Math.pow(1e-10, 0.25)) * t[i] / 0.25 / B;
                }
                assertEquals(expected, loss, 1e-5 * Math.max(1, Math.abs(expected)), "pass " + j);
                assertEquals(mseMean, metrics.means().get("matching_mse"), 1e-5);
            }
        }
    }

    @Test
    void theWeightingsFollowTheirFormulas() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray mse = m.create(new float[] {0.04f, 1.5f});
            NDArray t = m.create(new float[] {0.5f, 0.9f});
            double[][] expected = {
                {0.04, 1.5},
                {0.02, 1.35},
                {0.01, 1.215},
                {(Math.sqrt(0.04 + 1e-10) - 1e-5) * 0.5, (Math.sqrt(1.5 + 1e-10) - 1e-5) * 0.9},
                {(Math.pow(0.04, 0.25) - Math.pow(1e-10, 0.25)) * 0.5 / 0.25, (Math.pow(1.5, 0.25) - Math.pow(1e-10, 0.25)) * 0.9 / 0.25}};
            TimeWeighting[] forms = {TimeWeighting.uniform(), TimeWeighting.t(), TimeWeighting.tSquared(),
                TimeWeighting.huber(), TimeWeighting.ghuber(0.25)};
            for (int f = 0; f < forms.length; f++) {
                float[] got = forms[f].apply(mse, t).toFloatArray();
                for (int i = 0; i < 2; i++) {
                    assertEquals(expected[f][i], got[i], 1e-5, forms[f] + " at " + i);
                }
            }
            assertEquals("ghuber(p=0.25)", TimeWeighting.ghuber(0.25).toString());
            assertThrows(IllegalArgumentException.class, () -> TimeWeighting.ghuber(0));
            assertThrows(IllegalArgumentException.class, () -> new AwmObjective(null, TimeWeighting.t()));
        }
    }

    @Test
    void theGradientThroughThePowerMatchesCentralDifferences() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            MicroBatch mb = batch(m);
            AwmObjective objective = objective();
            AdapterSet policy = model.adapters().get(AdapterRoles.POLICY);
            NDArray param = policy.parameters().get(0);
            float[] grad;
            try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                gc.backward(objective.evaluate(mb, 1, model, new StepMetrics()).loss());
            }
            try (NDArray g = param.getGradient()) {
                grad = g.toFloatArray();
            }
            CentralDifferences.assertMatch(param, grad, () -> objective.evaluate(mb, 1, model, new StepMetrics()).loss().getFloat(),
                    1e-2, 4);
        }
    }
}
