package io.diffrl4j.regularizers.nft;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** config/nft.py: gradient_step_per_epoch 1 for GenEval, PickScore, HPSv2; 2 (and beta 0.1, decay_type 2) for OCR. */
class DiffusionNftRecipeTest {
    @Test
    void optimizerStepsAndBetaPerRewardAreTheReferences() {
        assertEquals(1, DiffusionNftRecipe.forReward("geneval").optimizerStepsPerEpoch());
        assertEquals(1, DiffusionNftRecipe.forReward("pickscore").optimizerStepsPerEpoch());
        assertEquals(1, DiffusionNftRecipe.forReward("hpsv2").optimizerStepsPerEpoch());
        assertEquals(2, DiffusionNftRecipe.forReward("OCR").optimizerStepsPerEpoch());
        DiffusionNft.Config ocr = DiffusionNftRecipe.OCR.configBuilder().build();
        assertEquals(0.1, ocr.betaNft());
        // decay_type 2: 0 before step 75, then min(0.0075 (step - 75), 0.999)
        assertEquals(0.0, ocr.oldDecay().at(74));
        assertEquals(0.0075 * 25, ocr.oldDecay().at(100), 1e-12);
        assertEquals(0.999, ocr.oldDecay().at(1000));
        DiffusionNft.Config geneval = DiffusionNftRecipe.GENEVAL.configBuilder().build();
        assertEquals(1.0, geneval.betaNft());
        assertEquals(0.5, geneval.oldDecay().at(600), 0.0, "decay_type 1: min(0.001 step, 0.5)");
        assertEquals(0.1, ((DiffusionNftObjective) DiffusionNftRecipe.OCR.method().objective()).beta());
    }
}
