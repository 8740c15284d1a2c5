package io.diffrl4j.examples.sd35;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.methods.awm.Awm;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.dancegrpo.DanceGrpo;
import io.diffrl4j.methods.dgpo.Dgpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.grpoguard.GrpoGuard;
import io.diffrl4j.methods.mixgrpo.MixGrpo;
import io.diffrl4j.methods.tempflow.TempFlowGrpo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.methods.nft.DiffusionNftRecipe;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;

/**
 * The methods of {@code sd35-finetune} with the library's defaults, which are the papers'
 * SD3.5-Medium settings (10 sampling steps, shift 3; CFG 4.5 for the Flow-GRPO family, 1 for
 * DiffusionNFT and CRD; Flow-GRPO's beta 0.04 for {@code flow-grpo-kl}, none for {@code flow-grpo};
 * GARDO's beta on Flow-GRPO 0.04 for OCR and 0.07 otherwise; DiffusionNFT's per-reward recipe of its reference configs,
 * {@link DiffusionNftRecipe}).
 */
public final class Sd35Methods {
    /** The state key of every KL regularizer ({@code ReferenceKl.stateKey()}): removing it trains without a KL. */
    private static final String KL = "regularizer:kl";

    private Sd35Methods() {}

    /**
     * @param name one of {@link Sd35Options#METHODS}
     * @param embedder image features for GARDO's diversity shaping, or null to switch it off
     * @param reward the reward spec trained on (DiffusionNFT's recipe depends on it)
     * @param klBeta the KL coefficient of the method's KL regularizer, or null for the method's own;
     *     0 trains without a KL
     * @return the method
     */
    public static Method named(String name, ImageEmbedder embedder, String reward, Double klBeta) {
        return switch (name) {
            case "flow-grpo" -> FlowGrpo.method(FlowGrpo.sampler().build(), klBeta == null ? 0 : klBeta);
            case "flow-grpo-kl" -> klBeta == null ? FlowGrpo.method() : FlowGrpo.method(FlowGrpo.sampler().build(), klBeta);
            case "gardo" -> gardo(reward, embedder, klBeta);
            case "diffusion-nft" -> withKlBeta(DiffusionNftRecipe.forReward(reward).method(), klBeta);
            case "crd" -> withKlBeta(Crd.method(), klBeta);
            // No KL in its configs; --kl-beta adds Flow-GRPO's. Its configs train at --lr 1e-4.
            case "grpo-guard" -> klBeta == null || klBeta == 0 ? GrpoGuard.method()
                    : GrpoGuard.method().withRegularizer(FlowGrpo.kl(klBeta));
            // MixGRPO's script (FLUX) has no KL either; its learning rate is 1e-5.
            case "mix-grpo" -> klBeta == null || klBeta == 0 ? MixGrpo.method()
                    : MixGrpo.method().withRegularizer(FlowGrpo.kl(klBeta));
            // AWM's config per reward (beta 1e-3 GenEval, 3e-3 OCR, 1e-4 PickScore); --kl-beta sets the KL to the
            // pretrained model, not the one to the policy's EMA. Its configs train at --lr 3e-4 with 24 images per prompt.
            case "awm" -> withKlBeta(Awm.forReward(reward), klBeta);
            // DGPO's config per reward (KL beta 0.02, PickScore 1e-3); its configs train at --lr 3e-4, 16 images per prompt.
            case "dgpo" -> withKlBeta(Dgpo.forReward(reward), klBeta);
            // TempFlow-GRPO's config per reward (KL beta 0.004, PickScore 0.001); its group is 6 children per branch.
            case "tempflow-grpo" -> withKlBeta(TempFlowGrpo.forReward(reward), klBeta);
            // DanceGRPO's script (FLUX) has no KL; its learning rate is 1e-5, its group 12 images.
            case "dance-grpo" -> klBeta == null || klBeta == 0 ? DanceGrpo.method()
                    : DanceGrpo.method().withRegularizer(FlowGrpo.kl(klBeta));
            default -> throw new IllegalArgumentException("unknown method '" + name + "'; choose one of " + Sd35Options.METHODS);
        };
    }

    /**
     * @param name one of {@link Sd35Options#METHODS}
     * @return the LoRA learning rate of the method's reference configs: 1e-4 for GRPO-Guard, 3e-4
     *     otherwise (MixGRPO's and DanceGRPO's scripts fine-tune every weight at 1e-5, which is no
     *     rate for a LoRA)
     */
    static double learningRate(String name) {
        return name.equals("grpo-guard") ? GrpoGuard.LEARNING_RATE : 3e-4;
    }

    /**
     * @param m a method with a KL
     * @param klBeta its new beta (its kind of strength kept: CRD's stays reward-adaptive with its
     *     floor), 0 to remove the KL, or null to keep the method's own
     * @return the method with that KL
     */
    private static Method withKlBeta(Method m, Double klBeta) {
        if (klBeta == null) {
            return m;
        }
        return klBeta == 0 ? m.without(KL) : m.withKlBeta(klBeta);
    }

    /**
     * GARDO on Flow-GRPO ({@link Gardo#flowGrpoBase()}) with its KL beta per reward, as its configs
     * ({@code config/gardo.py}): 0.04 for OCR, 0.07 otherwise (GenEval's); the paper's gate and
     * adaptive reference, and diversity-aware advantages when there is an embedder. With beta 0 there
     * is no KL, so neither gate nor reference.
     *
     * @param reward the reward spec trained on
     * @param embedder image features for the diversity shaping, or null for the base's group-relative advantages
     * @param klBeta the KL coefficient, or null for the one of GARDO's config for the reward
     * @return "gardo-flow-grpo"
     */
    static Method gardo(String reward, ImageEmbedder embedder, Double klBeta) {
        double beta = klBeta != null ? klBeta
                : reward != null && reward.toLowerCase(java.util.Locale.ROOT).contains("ocr") ? 0.04 : Gardo.FLOW_GRPO_BETA;
        Method m = beta == 0 ? Gardo.flowGrpoBase().without(KL).withName("gardo-flow-grpo")
                : Gardo.on(Gardo.flowGrpoBase().withKlBeta(beta), GatedKl.builder(), AdaptiveReference.flowGrpo());
        return embedder == null ? m : m.withAdvantages(new DiversityAwareAdvantage(embedder));
    }

    /**
     * @param method the trained method (its guidance scale is kept)
     * @param steps ODE steps (40 in the papers' evaluations)
     * @return the evaluation sampler: Euler ODE at the method's shift and guidance
     */
    public static TrajectorySampler evaluation(Method method, int steps) {
        return TrajectorySampler.builder().optSteps(steps).optShift(method.sampler().schedule().shift())
                .optGuidanceScale(method.sampler().guidanceScale())
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
    }
}
