package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.testing.TinyModels;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.core.sampling.StepResult;
import org.junit.jupiter.api.Test;

/**
 * A training step (CFG velocity, SDE log-probability, backward, in-place adapter update) run 100
 * times in per-step sub-managers must leave no array behind.
 */
class NativeMemoryTest {
    @Test
    void hundredSamplerAndBackwardStepsLeaveNoLiveArrays() {
        try (NDManager root = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(root, 1)) {
            AdapterSet policy = model.adapters().create("policy", true, new SeededNoise(2));
            model.adapters().use("policy");
            Conditioning cond = TinyModels.conditioning(root, 2, 3);
            Conditioning uncond = TinyModels.conditioning(root, 2, 4);
            InferenceSchedule schedule = InferenceSchedule.of(10, 3.0);
            FlowGrpoSdeStep sde = new FlowGrpoSdeStep();
            SeededNoise rng = new SeededNoise(5);
            int rootArrays = -1;
            int modelArrays = -1;
            for (int iteration = 0; iteration < 100; iteration++) {
                try (NDManager step = root.newSubManager()) {
                    int i = iteration % 9;
                    NDArray x = rng.normal(step, new Shape(2).addAll(TinyModels.latentShape()));
                    NDArray sigma = step.full(new Shape(2), (float) schedule.sigma(i));
                    NDArray next;
                    StepResult sampled = sde.sample(x, Guidance.velocity(model, x, sigma, cond, uncond, 4.5),
                            schedule, i, rng.normal(step, x.getShape()));
                    next = sampled.next();
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        NDArray v = Guidance.velocity(model, x, sigma, cond, uncond, 4.5);
                        StepResult r = sde.evaluate(x, v, schedule, i, next);
                        gc.backward(r.logProb().mean().neg());
                    }
                    for (NDArray p : policy.parameters()) {
                        try (NDArray g = p.getGradient(); NDArray delta = g.mul(1e-3)) {
                            p.subi(delta);
                        }
                    }
                }
                if (iteration == 0) {
                    // The first step caches the positional table; count from there.
                    rootArrays = root.getManagedArrays().size();
                    modelArrays = model.adapters().get("policy").parameters().size();
                }
            }
            assertEquals(rootArrays, root.getManagedArrays().size(), "arrays alive under the root manager");
            assertEquals(modelArrays, policy.parameters().size());
            assertTrue(rootArrays > 0);
        }
    }
}
