package io.diffrl4j.regularizers.crd;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;

/**
 * CRD's KL anchored to the CFG-guided pretrained model (docs/ALGORITHMS.md 7.4):
 *
 * <pre>
 * v_anchor = v_pre(x_t, uncond) + w_kl (v_pre(x_t, c) - v_pre(x_t, uncond))     (adapters disabled)
 * kl_i     = mean_dims((v_theta(x_t) - v_anchor)^2)
 * loss     = mean_i lambda_i kl_i
 * </pre>
 *
 * The policy prediction runs at guidance 1 (it learns to be CFG-free) while the anchor keeps the
 * inference-time semantics of the pretrained model with CFG. This is {@link ReferenceKl} with the
 * pretrained base ({@code null} set) at guidance {@code w_kl} and {@link KlForm#CODE}: the anchor is
 * {@link Prediction#under}{@code (null, w_kl)}, which for CRD's forward-process prediction runs the
 * unconditional and conditional halves as one batch of 2b and carries no gradient, and whose
 * {@code klScale} is 1, so the per-sample term is the plain velocity MSE. Reported metric: {@code kl}
 * (the unweighted batch mean of {@code kl_i}).
 *
 * <p>Stateless and immutable; arrays it returns belong to the prediction's manager.
 */
public final class CfgAnchoredKl extends ReferenceKl {
    /** The paper's anchor guidance scale for SD3.5-Medium. */
    public static final double DEFAULT_GUIDANCE = 4.5;

    private final double anchorGuidance;
    private final KlStrength strength;

    /**
     * @param anchorGuidance {@code w_kl}, finite and {@code >= 0} (1: the unguided pretrained model)
     * @param strength the coefficients {@code lambda} (e.g. {@link RewardAdaptiveKlStrength#perSample})
     */
    public CfgAnchoredKl(double anchorGuidance, KlStrength strength) {
        super(null, check(anchorGuidance), KlForm.CODE, requireStrength(strength));
        this.anchorGuidance = anchorGuidance;
        this.strength = strength;
    }

    private static double check(double w) {
        if (!(w >= 0) || Double.isInfinite(w)) {
            throw new IllegalArgumentException("klGuidance (w_kl) must be finite and >= 0, got " + w);
        }
        return w;
    }

    private static KlStrength requireStrength(KlStrength s) {
        if (s == null) {
            throw new IllegalArgumentException("the KL strength must not be null");
        }
        return s;
    }

    /** @return {@code w_kl} */
    public double anchorGuidance() {
        return anchorGuidance;
    }

    /** @return the coefficient strategy */
    public KlStrength strength() {
        return strength;
    }

    /**
     * @throws IllegalArgumentException for a reference other than the pretrained model: the anchor is
     *     the pretrained model by definition
     */
    @Override
    public CfgAnchoredKl with(String newReference, KlStrength newStrength) {
        if (newReference != null) {
            throw new IllegalArgumentException("the CFG-anchored KL is anchored to the pretrained model; it cannot "
                    + "measure against adapter set '" + newReference + "'");
        }
        return new CfgAnchoredKl(anchorGuidance, newStrength);
    }

    /**
     * @param prediction a pass's prediction
     * @return the anchor velocity {@code v_u + w_kl (v_c - v_u)} of the pretrained model (b, ...), no
     *     gradient (cached by the prediction for the pass)
     */
    public NDArray anchor(Prediction prediction) {
        return prediction.under(null, anchorGuidance);
    }
}
