package io.diffrl4j.methods.nft;

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
        io.diffrl4j.core.method.Method ocr = DiffusionNftRecipe.OCR.method();
        assertEquals(0.1, ((DiffusionNftObjective) ocr.objective()).beta());
        io.diffrl4j.core.schedule.EmaDecay ocrDecay = ((io.diffrl4j.core.schedule.EmaSchedule) ocr.schedules().get(0)).decay();
        // decay_type 2: 0 before step 75, then min(0.0075 (step - 75), 0.999)
        assertEquals(0.0, ocrDecay.at(74));
        assertEquals(0.0075 * 25, ocrDecay.at(100), 1e-12);
        assertEquals(0.999, ocrDecay.at(1000));
        assertEquals(DiffusionNft.method().snapshots(), ocr.snapshots(), "the old EMA replaced, not added");
        io.diffrl4j.core.method.Method geneval = DiffusionNftRecipe.GENEVAL.method();
        assertEquals(1.0, ((DiffusionNftObjective) geneval.objective()).beta());
        assertEquals(0.5, ((io.diffrl4j.core.schedule.EmaSchedule) geneval.schedules().get(0)).decay().at(600), 0.0,
                "decay_type 1: min(0.001 step, 0.5)");
    }
}
