package io.diffrl4j.examples.sd35;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.regularizers.crd.Crd;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GardoConfig;
import io.diffrl4j.regularizers.nft.DiffusionNftRecipe;
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
    private Sd35Methods() {}

    /**
     * @param name one of {@link Sd35Options#METHODS}
     * @param embedder image features for GARDO's diversity shaping, or null to switch it off
     * @param reward the reward spec trained on (DiffusionNFT's recipe depends on it)
     * @param klBeta the KL coefficient of the method's KL regularizer, or null for the method's own
     * @return the method
     */
    public static Method named(String name, ImageEmbedder embedder, String reward, Double klBeta) {
        return switch (name) {
            case "flow-grpo" -> FlowGrpo.defaults(FlowGrpo.Config.builder().optBeta(klBeta == null ? 0 : klBeta).build());
            case "flow-grpo-kl" -> klBeta == null ? FlowGrpo.defaults()
                    : FlowGrpo.defaults(FlowGrpo.Config.builder().optBeta(klBeta).build());
            case "gardo" -> Gardo.onFlowGrpo(gardo(reward, embedder, klBeta));
            case "diffusion-nft" -> {
                DiffusionNftRecipe recipe = DiffusionNftRecipe.forReward(reward);
                yield klBeta == null ? recipe.method()
                        : io.diffrl4j.regularizers.nft.DiffusionNft.defaults(recipe.configBuilder().optKlBeta(klBeta).build());
            }
            case "crd" -> klBeta == null ? Crd.defaults() : Crd.defaults(Crd.Config.builder().optKlBeta(klBeta).build());
            default -> throw new IllegalArgumentException("unknown method '" + name + "'; choose one of " + Sd35Options.METHODS);
        };
    }

    /**
     * GARDO on Flow-GRPO with its KL beta per reward, as its configs ({@code config/gardo.py}): 0.04
     * for OCR, 0.07 otherwise (GenEval's).
     */
    static GardoConfig gardo(String reward, ImageEmbedder embedder, Double klBeta) {
        GardoConfig.Builder b = GardoConfig.forFlowGrpo();
        if (klBeta != null) {
            b.optKlBeta(klBeta);
        } else if (reward != null && reward.toLowerCase(java.util.Locale.ROOT).contains("ocr")) {
            b.optKlBeta(0.04);
        }
        return embedder == null ? b.optDiversity(false).build() : b.optEmbedder(embedder).build();
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
