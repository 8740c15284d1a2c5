package io.diffrl4j.samplers;

import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.RecordedStep;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.FlowModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

class FastWindowAndGuidanceTest {
    /** v = pooled (broadcast) - x: depends on the conditioning, so guidance is visible. */
    private static final class RecordingModel implements FlowModel {
        final List<Long> batches = new ArrayList<>();

        @Override
        public NDArray velocity(NDArray x, NDArray sigma, Conditioning c) {
            batches.add(x.getShape().get(0));
            return FlowMatching.broadcastable(c.pooled().mean(new int[] {1}), x).sub(x);
        }
    }

    @Test
    void fastWindowComputesASharedPrefixOncePerPromptAndRecordsOnlyTheWindow() {
        try (NDManager m = NDManager.newBaseManager()) {
            int prompts = 3;
            int group = 4;
            RecordingModel model = new RecordingModel();
            Conditioning cond = Conditioning.of(null, m.arange(prompts * 2f).reshape(prompts, 2));
            TrajectorySampler sampler = TrajectorySampler.builder()
                    .optSteps(10)
                    .optGuidanceScale(1.0)
                    .optWindow(SdeWindow.random(2, 2, 8).withSharedPrefix())
                    .build();
            Rollout r = sampler.sample(m, model, cond, null, group, new Shape(5), new SeededNoise(1));
            assertEquals(new Shape(12, 5), r.samples().getShape());
            assertEquals(2, r.steps().size());
            int start = r.steps().get(0).index();
            assertTrue(start >= 2 && start <= 6, "window start " + start);
            assertEquals(start + 1, r.steps().get(1).index());
            for (int i = 0; i < 10; i++) {
                assertEquals(i < start ? prompts : prompts * group, model.batches.get(i), "rows at step " + i);
            }
            // Before the window all images of a group are one image: the recorded input rows agree.
            NDArray x = r.steps().get(0).x();
            assertArrayEquals(x.get(new NDIndex("0")).toFloatArray(), x.get(new NDIndex("3")).toFloatArray());
            // Inside the window they diverge.
            NDArray out = r.steps().get(0).next();
            assertNotEquals(out.get(new NDIndex("0")).getFloat(0), out.get(new NDIndex("1")).getFloat(0));
            for (RecordedStep s : r.steps()) {
                assertEquals(new Shape(12), s.logProb().getShape());
                assertEquals(new Shape(12, 5), s.mean().getShape());
            }
        }
    }

    @Test
    void fastWindowGivesEveryImageItsOwnNoiseByDefault() {
        // The reference's base config has same_latent = False: each of the G images of a prompt starts
        // from its own noise, so every step runs on all P x G rows and the window inputs differ.
        try (NDManager m = NDManager.newBaseManager()) {
            int prompts = 3;
            int group = 4;
            RecordingModel model = new RecordingModel();
            Conditioning cond = Conditioning.of(null, m.arange(prompts * 2f).reshape(prompts, 2));
            SdeWindow window = SdeWindow.random(2, 2, 8);
            assertTrue(!window.sharesPrefix());
            TrajectorySampler sampler = TrajectorySampler.builder().optSteps(10).optGuidanceScale(1.0).optWindow(window).build();
            Rollout r = sampler.sample(m, model, cond, null, group, new Shape(5), new SeededNoise(1));
            assertEquals(new Shape(12, 5), r.samples().getShape());
            assertEquals(2, r.steps().size());
            for (int i = 0; i < 10; i++) {
                assertEquals(prompts * group, model.batches.get(i), "rows at step " + i);
            }
            NDArray x = r.steps().get(0).x();
            for (int j = 1; j < group; j++) {
                assertNotEquals(x.get(new NDIndex("0")).getFloat(0), x.get(new NDIndex(String.valueOf(j))).getFloat(0),
                        "image " + j + " of prompt 0 has its own prefix");
            }
        }
    }

    @Test
    void fullSdeRolloutRecordsAllButTheLastStep() {
        try (NDManager m = NDManager.newBaseManager()) {
            RecordingModel model = new RecordingModel();
            Conditioning cond = Conditioning.of(null, m.ones(new Shape(2, 2)));
            Rollout r = TrajectorySampler.builder().optGuidanceScale(1.0).build()
                    .sample(m, model, cond, null, 3, new Shape(4), new SeededNoise(2));
            assertEquals(9, r.steps().size());
            for (int i = 0; i < 9; i++) {
                assertEquals(i, r.steps().get(i).index());
            }
            // Consecutive records chain: the output of step i is the input of step i + 1.
            assertArrayEquals(r.steps().get(3).next().toFloatArray(), r.steps().get(4).x().toFloatArray());
            assertTrue(model.batches.stream().allMatch(b -> b == 6));
        }
    }

    @Test
    void guidanceBatchesBothHalvesInOnePassAndCombinesThem() {
        try (NDManager m = NDManager.newBaseManager()) {
            RecordingModel model = new RecordingModel();
            Conditioning cond = Conditioning.of(null, m.create(new float[] {2, 2, 4, 4}, new Shape(2, 2)));
            Conditioning uncond = Conditioning.of(null, m.zeros(new Shape(2, 2)));
            NDArray x = m.create(new float[] {1, 1, 1, 1, 1, 1}, new Shape(2, 3));
            NDArray sigma = m.create(new float[] {0.5f, 0.5f});
            NDArray v = io.diffrl4j.core.flow.Guidance.velocity(model, x, sigma, cond, uncond, 4.5);
            assertEquals(List.of(4L), model.batches);
            // v_u = -1, v_c = {1, 3}: v = -1 + 4.5 (v_c + 1) = {8, 17}.
            assertArrayEquals(new float[] {8, 8, 8, 17, 17, 17}, v.toFloatArray(), 1e-6f);
            model.batches.clear();
            io.diffrl4j.core.flow.Guidance.velocity(model, x, sigma, cond, uncond, 1.0);
            assertEquals(List.of(2L), model.batches);
        }
    }

    @Test
    void sameSeedSameRollout() {
        try (NDManager m = NDManager.newBaseManager()) {
            Conditioning cond = Conditioning.of(null, m.ones(new Shape(2, 2)));
            TrajectorySampler sampler = TrajectorySampler.builder().optGuidanceScale(1.0).build();
            float[] a = sampler.sample(m, new RecordingModel(), cond, null, 2, new Shape(8), new SeededNoise(9))
                    .samples().toFloatArray();
            float[] b = sampler.sample(m, new RecordingModel(), cond, null, 2, new Shape(8), new SeededNoise(9))
                    .samples().toFloatArray();
            assertArrayEquals(a, b);
        }
    }
}
