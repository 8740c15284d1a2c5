package io.diffrl4j.models.testing;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import java.util.function.DoubleSupplier;

/** Autograd against central differences of a loss, entry by entry of one parameter array. */
public final class CentralDifferences {
    private CentralDifferences() {}

    /**
     * Checks up to {@code entries} entries of {@code param} whose autograd gradient exceeds 1e-3 in
     * size against {@code (loss(p + h) - loss(p - h)) / 2h}, to 2% plus 1e-4; the parameter is
     * restored after each entry.
     *
     * @param param the parameter array (its values are moved and put back)
     * @param grad its autograd gradient, read before the check
     * @param loss evaluates the loss at the parameter's current values
     * @param h the step
     * @param entries the most entries to check
     */
    public static void assertMatch(NDArray param, float[] grad, DoubleSupplier loss, double h, int entries) {
        int checked = 0;
        for (int k = 0; k < grad.length && checked < entries; k++) {
            if (Math.abs(grad[k]) < 1e-3) {
                continue;
            }
            float[] values = param.toFloatArray();
            double[] losses = new double[2];
            for (int side = 0; side < 2; side++) {
                float[] moved = values.clone();
                moved[k] += (float) (side == 0 ? h : -h);
                param.set(moved);
                losses[side] = loss.getAsDouble();
            }
            param.set(values);
            assertEquals((losses[0] - losses[1]) / (2 * h), grad[k], 2e-2 * Math.abs(grad[k]) + 1e-4, "entry " + k);
            checked++;
        }
        assertTrue(checked > 0, "no entry had a gradient to check");
    }
}
