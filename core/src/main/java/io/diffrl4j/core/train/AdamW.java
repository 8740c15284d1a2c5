package io.diffrl4j.core.train;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * AdamW with PyTorch's semantics (decoupled weight decay {@code p *= 1 - lr wd}, bias-corrected
 * moments) and global-norm gradient clipping, over the trainable adapter arrays only. Its state
 * (the step count and both moments) is owned here and exported for checkpoints, so a resumed run
 * continues bit-identically. A step whose gradients or results are not finite is refused before
 * anything is applied ({@link NonFiniteUpdateException}). Runs with autograd recording off on any
 * thread; one thread at a time; {@link #close()} frees the moments.
 */
public final class AdamW implements AutoCloseable {
    private static final NDIndex ALL = new NDIndex("...");

    private final NDManager manager;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final double maxNorm;
    private final Map<String, NDArray[]> moments = new LinkedHashMap<>();
    private long steps;

    /**
     * @param parent the manager the state is created under (sets the device)
     * @param config learning-rate-independent settings: betas, epsilon, weight decay, clipping
     */
    public AdamW(NDManager parent, TrainerConfig config) {
        this.manager = parent.newSubManager();
        this.beta1 = config.beta1();
        this.beta2 = config.beta2();
        this.eps = config.adamEpsilon();
        this.weightDecay = config.weightDecay();
        this.maxNorm = config.gradClip();
    }

    /** @return optimizer steps taken */
    public long steps() {
        return steps;
    }

    /**
     * Clips the accumulated gradients to the global norm, updates every parameter, and zeroes the
     * gradients for the next accumulation; a step that would leave anything non-finite is refused
     * whole.
     *
     * <p>The update is computed out of place into temporaries (new parameters and moments, about
     * three times the adapter's size until the step ends) and checked with one sum per parameter
     * array and one host read; then the parameters are copied in and the new moments replace the
     * old. Checking before applying costs the same memory as keeping a copy to restore, but never
     * leaves the parameters half-updated. The gradient norm and the parameters are checked; the
     * moments are finite whenever those are (see the step's comment).
     *
     * @param parameters the trainable arrays (named, gradients attached and accumulated)
     * @param learningRate this step's learning rate
     * @param where the step's place in the run for messages, e.g. "epoch 3, adapter set 'policy'"
     * @return the gradient norm before clipping
     * @throws NonFiniteUpdateException when the gradient norm, an updated parameter or a moment is
     *     infinite or NaN; then nothing was applied, the step count did not advance and the
     *     gradients are zeroed
     */
    public double step(List<NDArray> parameters, double learningRate, String where) {
        return GradMode.off(() -> checkedStep(parameters, learningRate, where));
    }

    /**
     * {@link #step(List, double, String)} for callers with no run context to name.
     *
     * @param parameters the trainable arrays (named, gradients attached and accumulated)
     * @param learningRate this step's learning rate
     * @return the gradient norm before clipping
     * @throws NonFiniteUpdateException as {@link #step(List, double, String)}
     */
    public double step(List<NDArray> parameters, double learningRate) {
        return step(parameters, learningRate, parameters.size() + " parameter arrays");
    }

    private double checkedStep(List<NDArray> parameters, double learningRate, String where) {
        long step = steps + 1;
        try (NDManager scratch = manager.newSubManager()) {
            NDList grads = new NDList();
            for (NDArray p : parameters) {
                NDArray g = p.getGradient();
                g.attach(scratch);
                grads.add(g);
            }
            NDList squares = new NDList();
            for (NDArray g : grads) {
                squares.add(g.square().sum().reshape(1));
            }
            double norm = Math.sqrt(NDArrays.concat(squares, 0).sum().getFloat());
            if (!Double.isFinite(norm)) {
                zero(grads);
                throw refused(NonFiniteUpdateException.Quantity.GRADIENT, null, where,
                        "the gradient's global norm is " + norm);
            }
            double scale = maxNorm > 0 && norm > maxNorm ? maxNorm / (norm + 1e-6) : 1.0;
            double bias1 = 1 - Math.pow(beta1, step);
            double bias2 = 1 - Math.pow(beta2, step);
            int n = parameters.size();
            NDArray[][] updated = new NDArray[n][];
            NDList sums = new NDList();
            for (int i = 0; i < n; i++) {
                NDArray p = parameters.get(i);
                NDArray g = scale == 1.0 ? grads.get(i) : grads.get(i).mul(scale);
                NDArray[] mv = moments.get(name(p));
                NDArray m = mv == null ? scratch.zeros(p.getShape(), p.getDataType()) : mv[0];
                NDArray v = mv == null ? scratch.zeros(p.getShape(), p.getDataType()) : mv[1];
                // Results follow their first operand's manager: move each new array into the scratch one.
                NDArray newM = inScratch(scratch, m.mul(beta1)).addi(g.mul(1 - beta1));
                NDArray newV = inScratch(scratch, v.mul(beta2)).addi(g.square().muli(1 - beta2));
                NDArray denominator = newV.sqrt().divi(Math.sqrt(bias2)).addi(eps);
                NDArray newP = inScratch(scratch, p.mul(1 - learningRate * weightDecay))
                        .subi(newM.div(denominator).muli(learningRate / bias1));
                updated[i] = new NDArray[] {newP, newM, newV};
                sums.add(newP.sum());
            }
            // With a finite gradient norm the new moments are convex combinations of the finite old
            // ones and finite squares, so only the parameters need a look (a NaN or infinite moment
            // left by a restore reaches them through the update); a sum is infinite or NaN when one
            // of its terms is (or, harmlessly, when the parameters are already beyond float range).
            float[] checks = NDArrays.stack(sums).toFloatArray();
            for (int k = 0; k < checks.length; k++) {
                if (!Float.isFinite(checks[k])) {
                    zero(grads);
                    String name = name(parameters.get(k));
                    throw refused(NonFiniteUpdateException.Quantity.PARAMETER, name, where, "the updated parameter of "
                            + name + " has infinite or NaN values (learning rate " + learningRate + ", weight decay "
                            + weightDecay + ", gradient norm " + norm + ")");
                }
            }
            for (int i = 0; i < n; i++) {
                NDArray p = parameters.get(i);
                p.set(ALL, updated[i][0]);
                // The moments are the optimizer's own: take the new arrays instead of copying them in.
                NDArray[] mv = moments.get(name(p));
                updated[i][1].attach(manager);
                updated[i][2].attach(manager);
                if (mv != null) {
                    mv[0].close();
                    mv[1].close();
                }
                moments.put(name(p), new NDArray[] {updated[i][1], updated[i][2]});
            }
            zero(grads);
            steps = step;
            return norm;
        }
    }

    private static NDArray inScratch(NDManager scratch, NDArray result) {
        result.attach(scratch);
        return result;
    }

    private NonFiniteUpdateException refused(NonFiniteUpdateException.Quantity quantity, String parameter, String where,
            String detail) {
        return new NonFiniteUpdateException("optimizer step " + steps + " (" + where + ") refused: " + detail
                + "; nothing was applied, the adapters and optimizer state keep their last finite values",
                quantity, parameter, steps);
    }

    private static void zero(NDList grads) {
        for (NDArray g : grads) {
            g.set(ALL, 0f);
        }
    }

    /** @return the moments by "m." / "v." + parameter name (do not close; valid until the next step) */
    public Map<String, NDArray> state() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        moments.forEach((k, mv) -> {
            out.put("m." + k, mv[0]);
            out.put("v." + k, mv[1]);
        });
        return out;
    }

    /**
     * @param state moments as from {@link #state()} (copied in)
     * @param steps the step count they belong to
     */
    public void restore(Map<String, NDArray> state, long steps) {
        moments.values().forEach(mv -> {
            mv[0].close();
            mv[1].close();
        });
        moments.clear();
        for (Map.Entry<String, NDArray> e : state.entrySet()) {
            if (!e.getKey().startsWith("m.")) {
                continue;
            }
            String name = e.getKey().substring(2);
            NDArray v = state.get("v." + name);
            if (v == null) {
                throw new IllegalArgumentException("optimizer state has m." + name + " but no v." + name);
            }
            NDArray m = e.getValue().duplicate();
            NDArray vv = v.duplicate();
            m.attach(manager);
            vv.attach(manager);
            moments.put(name, new NDArray[] {m, vv});
        }
        this.steps = steps;
    }

    @Override
    public void close() {
        manager.close();
    }

    private static String name(NDArray p) {
        String n = p.getName();
        if (n == null || n.isEmpty()) {
            throw new IllegalArgumentException("optimizer parameters must be named");
        }
        return n;
    }
}
