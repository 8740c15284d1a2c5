package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.model.AdaptedFlowModel;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;

/**
 * A forward-process pass's policy velocity {@code v_theta(x_t)} (guidance 1; DiffusionNFT, CRD) and the velocity at the same
 * {@code x_t} under other adapter sets and guidance scales. {@link #under} runs the model with the
 * set active ({@code null}: the pretrained base) through {@link Guidance#velocity}, which batches the
 * unconditional and conditional halves into one forward pass of 2b when the scale is not 1; the
 * result is detached and cached per (set, scale) for the pass. The "old" velocity computed by the
 * objective is seeded into the cache. All arrays live in {@code x_t}'s manager. The KL scale is
 * 1 for both forms (the KL of velocities is their mean squared difference).
 */
public final class VelocityPrediction implements Prediction {
    private final MicroBatch batch;
    private final AdaptedFlowModel model;
    private final NDArray xt;
    private final NDArray sigma;
    private final NDArray vTheta;
    private final String policySet;
    private final Map<Key, NDArray> cache = new HashMap<>();

    /**
     * @param batch the micro-batch (conditionings for {@link #under})
     * @param model the model, policy active
     * @param xt the noisy input (b, ...)
     * @param sigma its noise levels (b)
     * @param vTheta the policy velocity at {@code xt}, with gradient
     */
    public VelocityPrediction(MicroBatch batch, AdaptedFlowModel model, NDArray xt, NDArray sigma, NDArray vTheta) {
        this.batch = batch;
        this.model = model;
        this.xt = xt;
        this.sigma = sigma;
        this.vTheta = vTheta;
        this.policySet = model.adapters().active() == null ? null : model.adapters().active().name();
    }

    /**
     * Hands over a velocity the objective already computed, so that {@link #under} does not compute
     * it again (DiffusionNFT's and CRD's "old" model at guidance 1).
     *
     * @param adapterSet the adapter set {@code v} was computed with (null: the pretrained model)
     * @param v that set's velocity at {@code xt} without guidance, without gradient
     * @return this prediction
     */
    public VelocityPrediction withKnown(String adapterSet, NDArray v) {
        cache.put(new Key(adapterSet, 1.0), v);
        return this;
    }

    @Override
    public NDArray policy() {
        return vTheta;
    }

    @Override
    public NDArray under(String adapterSet, double guidance) {
        return cache.computeIfAbsent(new Key(adapterSet, guidance), k -> {
            if (guidance == 1.0 && Objects.equals(adapterSet, policySet)) {
                return vTheta.stopGradient();
            }
            return model.adapters().with(adapterSet, () -> Guidance.velocity(
                    model, xt, sigma, batch.conditioning(), batch.unconditional(), guidance)).stopGradient();
        });
    }

    @Override
    public double guidance() {
        return 1.0;
    }

    @Override
    public NDArray klScale(KlForm form) {
        // libtorch-owned: autograd keeps this scalar, and create(float) would wrap a Java buffer.
        return xt.getManager().full(new ai.djl.ndarray.types.Shape(), 1f);
    }

    /** @return the noisy input of the pass (b, ...) */
    public NDArray xt() {
        return xt;
    }

    /** @return the pass's noise levels (b) */
    public NDArray sigma() {
        return sigma;
    }

    private record Key(String set, double guidance) {}
}
