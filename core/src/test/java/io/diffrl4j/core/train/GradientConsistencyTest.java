package io.diffrl4j.core.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.training.GradientCollector;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The cosine between successive steps' gradients, against the dot products written out. */
class GradientConsistencyTest {

    private static void gradient(List<NDArray> ps, float[] a, float[] b) {
        NDManager m = ps.get(0).getManager();
        try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            gc.backward(ps.get(0).mul(m.create(a)).sum().add(ps.get(1).mul(m.create(b)).sum()));
        }
    }

    private static void zero(List<NDArray> ps) {
        for (NDArray p : ps) {
            try (NDArray g = p.getGradient()) {
                g.subi(g);
            }
        }
    }

    @Test
    void cosineOfSuccessiveStepsAcrossEveryParameter() {
        try (NDManager m = NDManager.newBaseManager(); GradientConsistency c = new GradientConsistency(m)) {
            NDArray a = m.create(new float[] {1, 2});
            NDArray b = m.create(new float[] {3});
            a.setRequiresGradient(true);
            b.setRequiresGradient(true);
            List<NDArray> ps = List.of(a, b);
            gradient(ps, new float[] {1, 0}, new float[] {2});
            assertTrue(Double.isNaN(c.next(ps)), "no previous step");
            zero(ps);
            gradient(ps, new float[] {0, 1}, new float[] {2});
            // (1, 0, 2) . (0, 1, 2) = 4; both norms sqrt(5): cosine 0.8
            assertEquals(0.8, c.next(ps), 1e-12);
            zero(ps);
            gradient(ps, new float[] {0, -1}, new float[] {-2});
            assertEquals(-1.0, c.next(ps), 1e-12);
            zero(ps);
            assertTrue(Double.isNaN(c.next(ps)), "a zero gradient has no direction");
        }
    }
}
