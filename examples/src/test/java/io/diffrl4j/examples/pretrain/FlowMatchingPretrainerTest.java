package io.diffrl4j.examples.pretrain;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.examples.shapes.ShapesDataset;
import io.diffrl4j.examples.shapes.ShapesModel;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The pretraining loop's weight average: what the model ends with, and that it never steers training. */
class FlowMatchingPretrainerTest {
    /** The weights of one run: at step 100 (as the progress callback sees them), at the end, and the losses. */
    private record Run(float[] initial, float[] atHundred, float[] last, double[] losses) {}

    private static Run train(int steps, double decay) {
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.random(root, 5)) {
            float[] initial = weights(model);
            float[][] atHundred = {null};
            double[] losses = FlowMatchingPretrainer.train(model.transformer(), model.textEncoder(), new ShapesDataset(),
                    ShapesModel.sampleShape(), new FlowMatchingPretrainer.Config(steps, 2, 1e-3, 0.1, 9, decay), p -> {
                        if (p[0] == 100) {
                            atHundred[0] = weights(model);
                        }
                    });
            return new Run(initial, atHundred[0], weights(model), losses);
        }
    }

    @Test
    void theModelEndsWithTheAverageAndTheAverageNeverSteersTraining() {
        Run averaged = train(200, 0.99);
        Run raw = train(200, 0.0);
        // swapping the average in for the callback and back leaves the trajectory bit-identical
        assertArrayEquals(raw.losses(), averaged.losses());
        assertTrue(raw.losses()[199] < raw.losses()[0], "the loss falls");
        // a constant rate and the average's recurrence: a run stopped at step 100 equals the state
        // the callback saw at step 100 of a longer run
        assertArrayEquals(averaged.atHundred(), train(100, 0.99).last());
        // decay d over n steps keeps d^n of the initial weights: 0.9999^100 = 0.990, so the result
        // moved at most about 1% as far as the raw weights did (they move monotonically here)
        Run slow = train(100, 0.9999);
        double moved = distance(slow.last(), slow.initial());
        double rawMoved = distance(raw.atHundred(), raw.initial());
        assertTrue(rawMoved > 0.1, "raw weights moved " + rawMoved);
        assertTrue(moved / rawMoved < 0.015 && moved / rawMoved > 0.002, "averaged/raw distance " + moved / rawMoved);
        assertTrue(distance(averaged.last(), raw.last()) > 0, "an average differs from the raw weights");
    }

    @Test
    void badNumbersAreRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new FlowMatchingPretrainer.Config(10, 2, 1e-3, 0.1, 1, 1.0));
        assertTrue(e.getMessage().contains("emaDecay in [0, 1)"), e.getMessage());
        assertEquals(0.0, new FlowMatchingPretrainer.Config(10, 2, 1e-3, 0.1, 1, 0.0).emaDecay());
    }

    private static float[] weights(ShapesModel model) {
        List<NDArray> arrays = new ArrayList<>(model.transformer().baseWeights().values());
        model.textEncoder().namedParameters().values().forEach(p -> arrays.add(p.getArray()));
        int n = arrays.stream().mapToInt(a -> (int) a.size()).sum();
        float[] out = new float[n];
        int at = 0;
        for (NDArray a : arrays) {
            float[] v = a.toFloatArray();
            System.arraycopy(v, 0, out, at, v.length);
            at += v.length;
        }
        return out;
    }

    private static double distance(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (a[i] - b[i]) * (double) (a[i] - b[i]);
        }
        return Math.sqrt(s);
    }
}
