package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.Test;

/** AdamW's numbers, its refusal of non-finite steps, and its use from any thread. */
class AdamWTest {
    private static final TrainerConfig CONFIG = TrainerConfig.builder().optGradClip(0).optWeightDecay(0.1).build();

    /** Two named trainable arrays. */
    private static List<NDArray> parameters(NDManager m) {
        NDArray a = m.create(new float[] {0.5f, -1f, 2f});
        a.setName("a");
        NDArray b = m.create(new float[] {1f, 0.25f});
        b.setName("b");
        a.setRequiresGradient(true);
        b.setRequiresGradient(true);
        return List.of(a, b);
    }

    /** Accumulates d/dp sum(p * c) = c into each parameter's gradient. */
    private static void gradients(List<NDArray> ps, float[]... c) {
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            NDArray loss = ps.get(0).mul(ps.get(0).getManager().create(c[0])).sum();
            for (int i = 1; i < ps.size(); i++) {
                loss = loss.add(ps.get(i).mul(ps.get(i).getManager().create(c[i])).sum());
            }
            gc.backward(loss);
        }
    }

    private static Map<String, float[]> copy(AdamW opt, List<NDArray> ps) {
        Map<String, float[]> out = new LinkedHashMap<>();
        ps.forEach(p -> out.put(p.getName(), p.toFloatArray()));
        opt.state().forEach((k, v) -> out.put(k, v.toFloatArray()));
        return out;
    }

    @Test
    void twoStepsMatchAdamWComputedByHand() {
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, CONFIG)) {
            List<NDArray> ps = parameters(m);
            float[][] g = {{0.3f, -0.2f, 0.1f}, {-1f, 0.5f}};
            double lr = 0.01;
            double[][] p = {{0.5, -1, 2}, {1, 0.25}};
            double[][] mm = new double[2][];
            double[][] vv = new double[2][];
            for (int t = 1; t <= 2; t++) {
                gradients(ps, g);
                double norm = opt.step(ps, lr, "test");
                assertEquals(Math.sqrt(0.09 + 0.04 + 0.01 + 1 + 0.25), norm, 1e-6);
                for (int i = 0; i < 2; i++) {
                    if (mm[i] == null) {
                        mm[i] = new double[g[i].length];
                        vv[i] = new double[g[i].length];
                    }
                    for (int j = 0; j < g[i].length; j++) {
                        mm[i][j] = 0.9 * mm[i][j] + 0.1 * g[i][j];
                        vv[i][j] = 0.999 * vv[i][j] + 0.001 * g[i][j] * g[i][j];
                        double den = Math.sqrt(vv[i][j]) / Math.sqrt(1 - Math.pow(0.999, t)) + 1e-8;
                        p[i][j] = p[i][j] * (1 - lr * 0.1) - lr / (1 - Math.pow(0.9, t)) * mm[i][j] / den;
                    }
                }
            }
            assertEquals(2, opt.steps());
            for (int i = 0; i < 2; i++) {
                float[] got = ps.get(i).toFloatArray();
                for (int j = 0; j < got.length; j++) {
                    assertEquals(p[i][j], got[j], 1e-6, "parameter " + i + "[" + j + "]");
                }
                assertArrayEquals(new float[got.length], ps.get(i).getGradient().toFloatArray(), "gradient zeroed");
            }
        }
    }

    @Test
    void aRunawayLearningRateIsRefusedBeforeAnythingIsApplied() {
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, CONFIG)) {
            List<NDArray> ps = parameters(m);
            float[][] g = {{0.3f, -0.2f, 0.1f}, {-1f, 0.5f}};
            gradients(ps, g);
            opt.step(ps, 0.01, "epoch 0");
            Map<String, float[]> before = copy(opt, ps);
            gradients(ps, g);
            NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class,
                    () -> opt.step(ps, 1e300, "epoch 3, adapter set 'policy'"));
            assertEquals(NonFiniteUpdateException.Quantity.PARAMETER, e.quantity());
            assertEquals("a", e.parameter());
            assertEquals(1, e.step());
            assertTrue(e.getMessage().startsWith("optimizer step 1 (epoch 3, adapter set 'policy') refused: the updated "
                    + "parameter of a has infinite or NaN values (learning rate 1.0E300"), e.getMessage());
            assertEquals(1, opt.steps(), "the step count does not advance");
            Map<String, float[]> after = copy(opt, ps);
            assertEquals(before.keySet(), after.keySet());
            before.forEach((k, v) -> assertArrayEquals(v, after.get(k), 0f, k + " unchanged"));
            for (NDArray p : ps) {
                assertArrayEquals(new float[p.toFloatArray().length], p.getGradient().toFloatArray(), "gradient cleared");
            }
            // The refused step left a usable optimizer: the next sane step is the step that would have come.
            gradients(ps, g);
            opt.step(ps, 0.01, "epoch 3");
            assertEquals(2, opt.steps());
        }
    }

    @Test
    void anInfiniteWeightDecayProductIsRefusedToo() {
        TrainerConfig decay = TrainerConfig.builder().optGradClip(0).optWeightDecay(1e300).build();
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, decay)) {
            List<NDArray> ps = parameters(m);
            gradients(ps, new float[] {0.3f, -0.2f, 0.1f}, new float[] {-1f, 0.5f});
            NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> opt.step(ps, 1e10, "x"));
            assertEquals(NonFiniteUpdateException.Quantity.PARAMETER, e.quantity());
            assertTrue(opt.state().isEmpty(), "a refused first step creates no moments");
            assertArrayEquals(new float[] {0.5f, -1f, 2f}, ps.get(0).toFloatArray(), 0f);
        }
    }

    @Test
    void aNonFiniteGradientIsRefusedAndNamed() {
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, CONFIG)) {
            List<NDArray> ps = parameters(m);
            gradients(ps, new float[] {0.3f, Float.NaN, 0.1f}, new float[] {-1f, 0.5f});
            NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> opt.step(ps, 0.01, "epoch 0"));
            assertEquals(NonFiniteUpdateException.Quantity.GRADIENT, e.quantity());
            assertNull(e.parameter());
            assertEquals("optimizer step 0 (epoch 0) refused: the gradient's global norm is NaN; nothing was applied, "
                    + "the adapters and optimizer state keep their last finite values", e.getMessage());
            assertEquals(0, opt.steps());
            assertTrue(opt.state().isEmpty());
            assertArrayEquals(new float[] {1f, 0.25f}, ps.get(1).toFloatArray(), 0f);
            gradients(ps, new float[] {Float.POSITIVE_INFINITY, 0, 0}, new float[] {0, 0});
            assertEquals(NonFiniteUpdateException.Quantity.GRADIENT,
                    assertThrows(NonFiniteUpdateException.class, () -> opt.step(ps, 0.01, "epoch 0")).quantity());
        }
    }

    @Test
    void stepsOnAThreadWithAutogradOnGiveTheSameNumbers() throws Exception {
        float[][] g = {{0.3f, -0.2f, 0.1f}, {-1f, 0.5f}};
        float[] here;
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, CONFIG)) {
            List<NDArray> ps = parameters(m);
            gradients(ps, g);
            opt.step(ps, 0.01, "here");
            here = ps.get(0).toFloatArray();
        }
        // A fresh thread has PyTorch's default (recording on): in-place updates of leaves would fail there.
        ExecutorService other = Executors.newSingleThreadExecutor();
        try (NDManager m = NDManager.newBaseManager(); AdamW opt = new AdamW(m, CONFIG)) {
            List<NDArray> ps = parameters(m);
            float[] there = CompletableFuture.supplyAsync(() -> {
                gradients(ps, g);
                opt.step(ps, 0.01, "there");
                return ps.get(0).toFloatArray();
            }, other).get();
            assertArrayEquals(here, there, 0f);
        } finally {
            other.shutdown();
        }
    }
}
