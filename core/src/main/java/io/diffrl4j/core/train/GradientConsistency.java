package io.diffrl4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import java.util.List;

/**
 * Whether successive optimizer steps push the same way: the cosine between this step's gradient
 * and the previous step's ({@code grad_consistency}). Per step, RL's mean gradient is often mostly
 * noise ({@link GradientSignal} reads about 1) and a run still learns, because a small signal that
 * keeps its direction adds up over steps while the noise does not. Noise alone gives cosines
 * around 0 (spread about {@code 1 / sqrt(effective dimensions)}); a steady direction gives a
 * positive mean, so the mean over a run's steps tells a run that can learn from one whose updates
 * are a random walk. Holds one device copy of the policy's gradients between steps; training
 * thread only.
 */
final class GradientConsistency implements AutoCloseable {
    private final NDManager owner;
    private NDList previous;

    /** @param owner keeps the previous step's gradients (the trainer's manager) */
    GradientConsistency(NDManager owner) {
        this.owner = owner;
    }

    /**
     * Reads the accumulated gradients of the step about to be taken and keeps a copy for the next.
     *
     * @param parameters the trained arrays
     * @return the cosine with the previous step's gradients; NaN for the first step (or after a
     *     resume) and when either gradient is zero
     */
    double next(List<NDArray> parameters) {
        NDList now = gradients(parameters, owner);
        double cosine = Double.NaN;
        if (previous != null && previous.size() == now.size()) {
            NDList dots = new NDList();
            NDList a2 = new NDList();
            NDList b2 = new NDList();
            try (NDManager scratch = owner.newSubManager()) {
                for (int i = 0; i < now.size(); i++) {
                    NDArray a = now.get(i);
                    NDArray b = previous.get(i);
                    scratch.tempAttachAll(a, b);
                    dots.add(a.mul(b).sum().toType(DataType.FLOAT64, false).reshape(1));
                    a2.add(a.square().sum().toType(DataType.FLOAT64, false).reshape(1));
                    b2.add(b.square().sum().toType(DataType.FLOAT64, false).reshape(1));
                }
                double dot = NDArrays.concat(dots, 0).sum().getDouble();
                double na = NDArrays.concat(a2, 0).sum().getDouble();
                double nb = NDArrays.concat(b2, 0).sum().getDouble();
                if (na > 0 && nb > 0) {
                    cosine = dot / Math.sqrt(na * nb);
                }
            }
        }
        if (previous != null) {
            previous.close();
        }
        previous = now;
        return cosine;
    }

    /**
     * @param parameters trained arrays
     * @param owner the manager of the copies
     * @return a copy of each parameter's accumulated gradient (zeros for one no loss reached yet)
     */
    static NDList gradients(List<NDArray> parameters, NDManager owner) {
        NDList out = new NDList(parameters.size());
        for (NDArray p : parameters) {
            NDArray copy;
            if (p.hasGradient()) {
                NDArray g = p.getGradient();
                copy = g.duplicate();
                g.close();
            } else {
                copy = p.zerosLike();
            }
            copy.attach(owner);
            out.add(copy);
        }
        return out;
    }

    @Override
    public void close() {
        if (previous != null) {
            previous.close();
            previous = null;
        }
    }
}
