package io.diffrl4j.methods.nft;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.EmaDecay;
import java.util.Locale;

/**
 * DiffusionNFT's SD3.5-Medium recipes per reward, as the reference's {@code config/nft.py}
 * ({@code sd3_geneval}, {@code sd3_pickscore}, {@code sd3_hpsv2}, {@code sd3_ocr}): optimizer steps
 * per epoch ({@code gradient_step_per_epoch}), {@code beta_nft} ({@code config.beta}) and the "old"
 * model's decay ({@code decay_type} 1: {@code min(0.001 step, 0.5)}; 2: 0 for 75 steps, then
 * {@code min(0.0075 (step - 75), 0.999)}). Everything else is {@link DiffusionNft#method()}'s default.
 */
public enum DiffusionNftRecipe {
    /** {@code sd3_geneval}: 1 optimizer step per epoch, beta 1, decay type 1. */
    GENEVAL(1, 1.0, EmaDecay.diffusionNftOld()),
    /** {@code sd3_pickscore}: 1 optimizer step per epoch, beta 1, decay type 1. */
    PICKSCORE(1, 1.0, EmaDecay.diffusionNftOld()),
    /** {@code sd3_hpsv2}: 1 optimizer step per epoch, beta 1, decay type 1. */
    HPSV2(1, 1.0, EmaDecay.diffusionNftOld()),
    /** {@code sd3_ocr}: 2 optimizer steps per epoch, beta 0.1, decay type 2. */
    OCR(2, 0.1, new EmaDecay(75, 0.0, 0.0075, 0.999));

    private final int optimizerStepsPerEpoch;
    private final double betaNft;
    private final EmaDecay oldDecay;

    DiffusionNftRecipe(int optimizerStepsPerEpoch, double betaNft, EmaDecay oldDecay) {
        this.optimizerStepsPerEpoch = optimizerStepsPerEpoch;
        this.betaNft = betaNft;
        this.oldDecay = oldDecay;
    }

    /**
     * @param reward a reward name ("ocr", "geneval", "pickscore", "hpsv2"; case-insensitive); any other
     *     reward gets the PickScore recipe, the reference's default for preference rewards
     * @return the recipe the reference uses for it
     */
    public static DiffusionNftRecipe forReward(String reward) {
        String r = reward == null ? "" : reward.toLowerCase(Locale.ROOT);
        if (r.contains("ocr")) {
            return OCR;
        }
        if (r.contains("geneval")) {
            return GENEVAL;
        }
        if (r.contains("hps")) {
            return HPSV2;
        }
        return PICKSCORE;
    }

    /** @return the reference's optimizer steps per epoch for this reward ({@code TrainerConfig}) */
    public int optimizerStepsPerEpoch() {
        return optimizerStepsPerEpoch;
    }

    /** @return {@code beta_nft} of this reward's config */
    public double betaNft() {
        return betaNft;
    }

    /** @return the decay of the "old" model in this reward's config */
    public EmaDecay oldDecay() {
        return oldDecay;
    }

    /**
     * @return {@link DiffusionNft#method()} with this reward's {@code beta_nft} and "old" decay
     *     (the optimizer steps per epoch are the trainer's: {@link #optimizerStepsPerEpoch()})
     */
    public Method method() {
        return DiffusionNft.method()
                .withObjective(new DiffusionNftObjective(betaNft, DiffusionNft.noiseLevels(0.99), AdapterRoles.OLD))
                .withSchedule(DiffusionNft.oldEma(oldDecay));
    }
}
