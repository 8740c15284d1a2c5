package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/** sd35-finetune's recipes take the reference's per-reward settings. */
class Sd35MethodsTest {
    @Test
    void gardoTakesItsConfigsKlBetaPerReward() {
        // GARDO's config/gardo.py: general_ocr_sd3 beta 0.04, geneval_sd3 beta 0.07
        assertEquals(0.04, Sd35Methods.gardo("ocr", null).klBeta());
        assertEquals(0.04, Sd35Methods.gardo("ocr=/usr/share/tessdata", null).klBeta());
        assertEquals(0.07, Sd35Methods.gardo("geneval=http://127.0.0.1:18085", null).klBeta());
        assertEquals(0.07, Sd35Methods.gardo("pickscore=dir", null).klBeta());
    }
}
