package io.diffrl4j.methods.gardo;

import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GARDO (docs/ALGORITHMS.md 6) as recipes over any base {@link Method} that has a KL: its three parts
 * are separate steps, so a user can put one on any method.
 *
 * <ul>
 *   <li>{@link #withGate}: the base's KL (its reference, guidance, form and beta) becomes a
 *       {@link GatedKl}, applied only to the samples whose reward is unreliable;</li>
 *   <li>{@link #withAdaptiveReference}: the KL is measured against {@link AdapterRoles#REFERENCE},
 *       a snapshot of the policy an {@link AdaptiveReference} renews;</li>
 *   <li>diversity: {@code method.withAdvantages(new DiversityAwareAdvantage(embedder))}.</li>
 * </ul>
 *
 * {@link #on} applies all three and keeps the base's KL beta; the paper recipes
 * {@link #onFlowGrpo} and {@link #onDiffusionNft} start from GARDO's own bases, whose betas are
 * GARDO's configs' (0.07 and 0.04) and say so explicitly.
 *
 * <p>Micro-batches: both recipes train whole groups (the {@code TrainerConfig} default); GARDO's
 * scripts shuffle the epoch's images into micro-batches of 9 that mix prompts
 * ({@code randperm(total_batch_size)}, {@code train.batch_size = 9}), which is
 * {@code TrainerConfig.Builder.optShuffledMicroBatches(9)}. The auxiliary rewards of the gate are
 * whatever the trainer scores besides the proxy ({@code Trainer.Builder.addAuxiliaryReward}; a subset
 * by name through {@link GatedKl.Builder#optAuxiliaries}).
 */
public final class Gardo {
    private static final Logger LOG = LoggerFactory.getLogger(Gardo.class);

    /** GARDO's official Flow-GRPO configs train {@code floor(10 * 0.89) = 8} of the 10 steps (docs/ALGORITHMS.md 9). */
    public static final double FLOW_GRPO_TRAIN_FRACTION = 0.89;
    /** GARDO's NFT config trains every one of the rollout's 10 levels ({@code timestep_fraction = 1.0}). */
    public static final double DIFFUSION_NFT_TRAIN_FRACTION = 1.0;
    /** The KL beta of GARDO's Flow-GRPO configs ({@code config/gardo.py}). */
    public static final double FLOW_GRPO_BETA = 0.07;
    /** The KL beta of GARDO's DiffusionNFT config. */
    public static final double DIFFUSION_NFT_BETA = 0.04;

    private Gardo() {}

    /**
     * @return the Flow-GRPO base GARDO's configs run: {@link FlowGrpo#method} (SD3.5-M, 10 SDE steps,
     *     CFG 4.5, a = 0.7, clip 1e-4, the evaluation EMA as {@code train.ema=True}) training 8 of the
     *     10 steps, with beta {@value #FLOW_GRPO_BETA}
     */
    public static Method flowGrpoBase() {
        return FlowGrpo.method(FlowGrpo.sampler().optTrainFraction(FLOW_GRPO_TRAIN_FRACTION).build(), FLOW_GRPO_BETA);
    }

    /**
     * @return the DiffusionNFT base GARDO's config runs: {@link DiffusionNft#method()} training all 10
     *     rollout levels per sample ({@code timestep_fraction = 1.0}), no evaluation EMA
     *     ({@code train.ema = False} in {@code config/base.py}, which GARDO's {@code nft_sd3_geneval}
     *     keeps), and beta {@value #DIFFUSION_NFT_BETA}
     */
    public static Method diffusionNftBase() {
        return DiffusionNft.method()
                .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA,
                        DiffusionNft.noiseLevels(DIFFUSION_NFT_TRAIN_FRACTION), AdapterRoles.OLD))
                .without(PolicyEma.STATE_KEY)
                .withKlBeta(DIFFUSION_NFT_BETA);
    }

    /**
     * @param embedder the image embedder of the diversity-aware advantage
     * @return "gardo-flow-grpo": {@link #on} {@link #flowGrpoBase()} with the paper's gate,
     *     {@link AdaptiveReference#flowGrpo()} and diversity-aware advantages
     */
    public static Method onFlowGrpo(ImageEmbedder embedder) {
        return on(flowGrpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo())
                .withAdvantages(new DiversityAwareAdvantage(embedder));
    }

    /**
     * @param embedder the image embedder of the diversity-aware advantage
     * @return "gardo-diffusion-nft": {@link #on} {@link #diffusionNftBase()} with the paper's gate
     *     falling back to the KL on every sample when a micro-batch has nothing gated (its script),
     *     {@link AdaptiveReference#diffusionNft()} and diversity-aware advantages; rollouts still come
     *     from the base's EMA "old" set
     */
    public static Method onDiffusionNft(ImageEmbedder embedder) {
        return on(diffusionNftBase(), GatedKl.builder().optKlOnAllWhenNoneGated(true), AdaptiveReference.diffusionNft())
                .withAdvantages(new DiversityAwareAdvantage(embedder));
    }

    /**
     * GARDO's gate and adaptive reference on any method with one KL, keeping that KL's beta; add the
     * diversity-aware advantage with {@code withAdvantages(new DiversityAwareAdvantage(embedder))}.
     *
     * @param base a method with one KL regularizer
     * @param gate the gate's settings
     * @param renewal when the reference is renewed
     * @return {@code "gardo-" + base.name()} with {@link #withGate} then {@link #withAdaptiveReference}
     */
    public static Method on(Method base, GatedKl.Builder gate, AdaptiveReference.Builder renewal) {
        return withAdaptiveReference(withGate(base, gate), renewal).withName("gardo-" + base.name());
    }

    /**
     * @param method a method with exactly one KL regularizer that is not gated yet
     * @param gate the gate's settings
     * @return the method with that KL gated ({@link GatedKl.Builder#gating}: reference, guidance,
     *     form and beta kept)
     * @throws IllegalArgumentException when the method has no KL, or more than one
     */
    public static Method withGate(Method method, GatedKl.Builder gate) {
        ReferenceKl kl = onlyKl(method, "gate");
        if (kl instanceof GatedKl) {
            throw new IllegalArgumentException("method " + method.name() + " is gated already");
        }
        GatedKl gated = gate.gating(kl);
        LOG.info("{}: {}", method.name(), gated);
        return method.withRegularizer(gated);
    }

    /**
     * @param method a method with exactly one KL regularizer
     * @param renewal when the reference is renewed; a gated metric ({@link AdaptiveReference#GATED_METRIC},
     *     the default) becomes the ungated {@link AdaptiveReference#UNGATED_METRIC} when the method's
     *     KL is not gated (every sample's KL is the one regularised)
     * @return the method with its KL measured against the renewal's target and the renewal among its
     *     schedules (so the target is a snapshot of the initial policy)
     * @throws IllegalArgumentException when the method has no KL, or more than one
     */
    public static Method withAdaptiveReference(Method method, AdaptiveReference.Builder renewal) {
        ReferenceKl kl = onlyKl(method, "renew the reference of");
        AdaptiveReference reference = renewal.build();
        if (!(kl instanceof GatedKl) && AdaptiveReference.GATED_METRIC.equals(reference.metric())) {
            reference = reference.toBuilder().optMetric(AdaptiveReference.UNGATED_METRIC).build();
        }
        LOG.info("{}: {}", method.name(), reference);
        return method.withRegularizer(kl.with(reference.target(), kl.strength())).withSchedule(reference);
    }

    /**
     * Swaps the gated KL of a GARDO method for another, typically a subclass with its own
     * uncertainty: {@code Gardo.replaceGate(method, MyGate::new)} where {@code MyGate(GatedKl)} calls
     * {@code super(template)}.
     *
     * @param method a method with one {@link GatedKl} among its regularizers
     * @param replacement makes the new gate from the old one
     * @return the method with the replacement in its place
     * @throws IllegalArgumentException when the method has no gated KL
     */
    public static Method replaceGate(Method method, UnaryOperator<GatedKl> replacement) {
        List<Regularizer> out = new ArrayList<>();
        boolean found = false;
        for (Regularizer r : method.regularizers()) {
            if (r instanceof GatedKl g && !found) {
                out.add(replacement.apply(g));
                found = true;
            } else {
                out.add(r);
            }
        }
        if (!found) {
            throw new IllegalArgumentException("method '" + method.name() + "' has no gated KL to replace");
        }
        return method.withRegularizers(out);
    }

    private static ReferenceKl onlyKl(Method method, String what) {
        List<ReferenceKl> kls = method.regularizers().stream()
                // The KL to the method's reference; a second KL under its own name (AWM's "kl_ema") is left alone.
                .filter(ReferenceKl::isMethodKl).map(r -> (ReferenceKl) r).toList();
        if (kls.size() != 1) {
            throw new IllegalArgumentException("GARDO can only " + what + " a method with one KL regularizer; method "
                    + method.name() + " has " + kls.size() + (kls.isEmpty() ? " (give it one, e.g. FlowGrpo.kl(beta))" : ""));
        }
        return kls.get(0);
    }
}
