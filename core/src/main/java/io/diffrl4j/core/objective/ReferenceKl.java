package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.FlowMatching;

/**
 * The baseline KL regularizer: {@code kl_i = klScale_i * mean_dims((policy_i - ref_i)^2)} against
 * a reference parameter set (null: the pretrained model) evaluated with a given guidance scale,
 * weighted by a {@link KlStrength} and averaged over the batch. Flow-GRPO: the reference is the
 * pretrained model at the sampling guidance, beta 0.04; DiffusionNFT: velocity MSE, beta 1e-4.
 * A method may hold a second KL under its own name ({@link #named}; AWM's KL to an EMA of the
 * policy is {@code "kl_ema"}): the name is its metric and its checkpoint key.
 */
public class ReferenceKl implements Regularizer {
    private final String reference;
    private final Double guidance;
    private final KlForm form;
    private final KlStrength strength;
    private final String name;

    /** The name of a method's KL to its reference (its metric; checkpoint key {@code "regularizer:kl"}). */
    public static final String NAME = "kl";

    /**
     * @param reference the reference adapter set, or null for the pretrained model
     * @param guidance the reference's CFG scale, or null to use the policy prediction's own
     * @param form the variance form of trajectory KLs
     * @param strength the coefficient
     */
    public ReferenceKl(String reference, Double guidance, KlForm form, KlStrength strength) {
        this(reference, guidance, form, strength, NAME);
    }

    private ReferenceKl(String reference, Double guidance, KlForm form, KlStrength strength, String name) {
        if (name == null || !name.matches("[a-z][a-z0-9_]*")) {
            throw new IllegalArgumentException("a KL's name is its metric and checkpoint key: lower case, digits and '_', "
                    + "got '" + name + "'");
        }
        this.name = name;
        if (form == null || strength == null) {
            throw new IllegalArgumentException("a KL needs a variance form and a strength");
        }
        if (guidance != null && (!(guidance >= 0) || guidance.isInfinite())) {
            throw new IllegalArgumentException("the KL's reference guidance must be finite and >= 0, got " + guidance);
        }
        this.reference = reference;
        this.guidance = guidance;
        this.form = form;
        this.strength = strength;
    }

    @Override
    public String name() {
        return name;
    }

    /**
     * @param r a regularizer
     * @return whether it is a method's KL to its reference (a {@link ReferenceKl}, gated or not,
     *     named {@value #NAME}), the one {@code Method.withKlBeta} and GARDO adjust; a second KL under
     *     its own name is not
     */
    public static boolean isMethodKl(Regularizer r) {
        return r instanceof ReferenceKl && NAME.equals(r.name());
    }

    /**
     * @param newName the KL's name (its metric, and its checkpoint key {@code "regularizer:" + name});
     *     {@code "kl"} is the method's KL to its reference, which {@code Method.withKlBeta} adjusts
     * @return this KL under that name
     * @throws UnsupportedOperationException for a subclass (its own settings would be lost)
     */
    public ReferenceKl named(String newName) {
        if (getClass() != ReferenceKl.class) {
            throw new UnsupportedOperationException(getClass().getName() + " keeps the name 'kl'");
        }
        return new ReferenceKl(reference, guidance, form, strength, newName);
    }

    /** @return the KL coefficient (the papers' {@code beta}) */
    public KlStrength strength() {
        return strength;
    }

    /** @return the reference adapter set, or null for the pretrained model */
    public String reference() {
        return reference;
    }

    /** @return the reference's CFG scale, or null for the policy prediction's own */
    public Double guidance() {
        return guidance;
    }

    /** @return the variance form of trajectory KLs */
    public KlForm form() {
        return form;
    }

    /**
     * The one place a KL's reference and strength change (GARDO's adaptive reference and a
     * user's beta go through it); a subclass with its own settings overrides it to keep them.
     *
     * @param newReference the reference adapter set, or null for the pretrained model
     * @param newStrength the coefficient
     * @return a KL of this class with everything else unchanged
     * @throws UnsupportedOperationException for a subclass that does not override it (it would
     *     silently lose the subclass's behaviour)
     */
    public ReferenceKl with(String newReference, KlStrength newStrength) {
        if (getClass() != ReferenceKl.class) {
            throw new UnsupportedOperationException(getClass().getName() + " extends ReferenceKl without overriding "
                    + "with(reference, strength): it cannot be copied with another reference or beta");
        }
        return new ReferenceKl(newReference, guidance, form, newStrength, name);
    }

    /**
     * @param beta the new coefficient, finite and {@code >= 0}
     * @return this KL with its strength's beta replaced ({@link KlStrength#withBeta})
     */
    public ReferenceKl withBeta(double beta) {
        return with(reference, strength.withBeta(beta));
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
