package io.diffrl4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;
import java.util.Map;

/**
 * How much of one optimizer step's gradient is signal, and how much data it saw: "nothing moves"
 * has two usual causes, too few training terms per step and a mean gradient buried in its own
 * noise, and this tells them apart.
 *
 * <p>The step's gradient is the sum of K micro-batch gradients {@code g_k} over disjoint groups
 * (the trainer scales each micro-batch's loss by {@code 1/K}). With {@code gbar = (1/K) sum g_k}
 * and the spread {@code s^2 = sum ||g_k - gbar||^2 / (K - 1)}, the reported ratio is
 * {@code ||gbar|| / sqrt(s^2 / K)}: the mean gradient's norm against its standard error. Since
 * {@code E||gbar||^2 = ||mu||^2 + tr(Sigma)/K}, a step that is pure noise reads about 1 and the
 * estimated signal power {@code ||mu||^2} is {@code (ratio^2 - 1) s^2 / K}; the ratio needs K of 2
 * or more. Each {@code g_k} is the change of the accumulated gradient over one micro-batch; the
 * cost is two device copies of the policy's gradients (the last sum and the running mean) and a
 * few element-wise operations per micro-batch.
 *
 * <p>Reports {@code terms_per_step} (images x passes summed over the step's micro-batches: the
 * number of log-probability or loss terms one AdamW step averages) and {@code grad_snr}. One
 * instance per optimizer step; training thread only.
 */
final class GradientSignal {
    private final List<NDArray> parameters;
    private final NDManager owner;
    private NDList previous;
    private NDList mean;
    private NDArray spreadSum;
    private int increments;
    private long terms;

    /**
     * @param parameters the trained arrays, whose gradients accumulate over the step
     * @param owner the step's manager: the gradient copies live there until the step ends
     */
    GradientSignal(List<NDArray> parameters, NDManager owner) {
        this.parameters = parameters;
        this.owner = owner;
    }

    /**
     * Records the micro-batch whose backward passes just ended.
     *
     * @param microBatchTerms its images x passes
     */
    void afterMicroBatch(long microBatchTerms) {
        terms += microBatchTerms;
        increments++;
        NDList now = GradientConsistency.gradients(parameters, owner);
        if (mean == null) {
            // The first micro-batch: the running mean is its gradient, the spread still zero.
            mean = new NDList(now.size());
            for (NDArray g : now) {
                NDArray m = g.duplicate();
                m.attach(owner);
                mean.add(m);
            }
            previous = now;
            return;
        }
        NDList products = new NDList(parameters.size());
        for (int i = 0; i < now.size(); i++) {
            // Welford's update on the micro-batch gradients g_k = G_k - G_(k-1): the spread is summed
            // from deviations, not as sum ||g_k||^2 - K ||gbar||^2, which cancels catastrophically in
            // float when the micro-batches agree.
            NDArray increment = now.get(i).sub(previous.get(i));
            increment.attach(owner);
            NDArray m = mean.get(i);
            NDArray delta = increment.sub(m);
            m.addi(delta.div(increments));
            products.add(delta.mul(increment.sub(m)).sum().toType(DataType.FLOAT64, false).reshape(1));
            increment.close();
        }
        if (products.isEmpty()) {
            previous.close();
            previous = now;
            return;
        }
        // Kept on the device: the host reads the spread once, when the step reports.
        NDArray sum = NDArrays.concat(products, 0).sum();
        sum.attach(owner);
        products.close();
        if (spreadSum == null) {
            spreadSum = sum;
        } else {
            spreadSum.addi(sum);
            sum.close();
        }
        previous.close();
        previous = now;
    }

    /** @return the images x passes summed over the recorded micro-batches */
    long terms() {
        return terms;
    }

    /**
     * @return {@code ||gbar|| / sqrt(s^2 / K)}; NaN with fewer than two micro-batches or a zero
     *     gradient, infinite when every micro-batch gave the same non-zero gradient
     */
    double ratio() {
        int k = increments;
        if (k < 2 || mean == null || mean.isEmpty()) {
            return Double.NaN;
        }
        NDList squares = new NDList(mean.size());
        for (NDArray m : mean) {
            squares.add(m.square().sum().toType(DataType.FLOAT64, false).reshape(1));
        }
        double meanSquare;
        try (NDArray all = NDArrays.concat(squares, 0).sum()) {
            meanSquare = all.getDouble();
        }
        squares.close();
        double spread = Math.max(0, (spreadSum == null ? 0 : spreadSum.getDouble()) / (k - 1));
        if (meanSquare == 0) {
            return Double.NaN;
        }
        return spread == 0 ? Double.POSITIVE_INFINITY : Math.sqrt(meanSquare / (spread / k));
    }

    /**
     * Puts {@code terms_per_step} and {@code grad_snr} into the step's metrics; the ratio is NaN
     * where it cannot be measured (one micro-batch, a zero gradient) or is infinite (every
     * micro-batch gave the same gradient), so that the column exists from the first epoch on.
     *
     * @param means the step's metrics
     */
    void report(Map<String, Double> means) {
        means.put("terms_per_step", (double) terms);
        double r = ratio();
        means.put("grad_snr", Double.isFinite(r) ? r : Double.NaN);
    }
}
