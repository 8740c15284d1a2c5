package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.FlowMatching;

/**
 * The baseline KL regularizer: {@code kl_i = klScale_i * mean_dims((policy_i - ref_i)^2)} against
 * a reference parameter set (null: the pretrained model) evaluated with a given guidance scale,
 * weighted by a {@link KlStrength} and averaged over the batch. Flow-GRPO: the reference is the
 * pretrained model at the sampling guidance, beta 0.04; DiffusionNFT: velocity MSE, beta 1e-4.
 */
public class ReferenceKl implements Regularizer {
    private final String reference;
    private final Double guidance;
    private final KlForm form;
    private final KlStrength strength;

    /**
     * @param reference the reference adapter set, or null for the pretrained model
     * @param guidance the reference's CFG scale, or null to use the policy prediction's own
     * @param form the variance form of trajectory KLs
     * @param strength the coefficient
     */
    public ReferenceKl(String reference, Double guidance, KlForm form, KlStrength strength) {
        this.reference = reference;
        this.guidance = guidance;
        this.form = form;
        this.strength = strength;
    }

    @Override
    public String name() {
        return "kl";
    }

    /** @return the KL coefficient */
    public KlStrength strength() {
        return strength;
    }

    /**
     * @param batch the micro-batch
     * @param prediction the pass's prediction
     * @return the per-sample KL (b), differentiable
     */
    public NDArray perSample(MicroBatch batch, Prediction prediction) {
        NDArray ref = prediction.under(reference, guidance == null ? prediction.guidance() : guidance);
        NDArray sq = FlowMatching.meanPerSample(prediction.policy().sub(ref).square());
        return sq.mul(prediction.klScale(form));
    }

    /**
     * Reduces per-sample KLs to the loss; GARDO's gate overrides this to average over gated
     * samples only.
     *
     * @param batch the micro-batch
     * @param weighted {@code lambda_i kl_i}, (b)
     * @param metrics where to report diagnostics
     * @return the scalar loss
     */
    protected NDArray reduce(MicroBatch batch, NDArray weighted, StepMetrics metrics) {
        return weighted.mean();
    }

    @Override
    public final NDArray loss(MicroBatch batch, Prediction prediction, StepMetrics metrics) {
        NDArray kl = perSample(batch, prediction);
        metrics.add(name(), kl.mean());
        return reduce(batch, kl.mul(strength.coefficients(batch)), metrics);
    }

    @Override
    public java.util.List<String> adapterSets() {
        return reference == null ? java.util.List.of() : java.util.List.of(reference);
    }
}
