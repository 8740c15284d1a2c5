package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import org.junit.jupiter.api.Test;

/** sd35-finetune's recipes take the reference's per-reward settings. */
class Sd35MethodsTest {
    @Test
    void gardoTakesItsConfigsKlBetaPerReward() {
        // GARDO's config/gardo.py: general_ocr_sd3 beta 0.04, geneval_sd3 beta 0.07
        assertEquals(0.04, beta(Sd35Methods.gardo("ocr", null, null)));
        assertEquals(0.04, beta(Sd35Methods.gardo("ocr=/usr/share/tessdata", null, null)));
        assertEquals(0.07, beta(Sd35Methods.gardo("geneval=http://127.0.0.1:18085", null, null)));
        assertEquals(0.07, beta(Sd35Methods.gardo("pickscore=dir", null, null)));
    }

    /** @return the constant beta of the method's first regularizer, its (gated) KL */
    private static double beta(Method m) {
        return ((KlStrength.Constant) ((ReferenceKl) m.regularizers().get(0)).strength()).beta();
    }

    @Test
    void klBetaReplacesEachMethodsOwnAndIsKeptWhenNotGiven() {
        assertEquals(0, Sd35Methods.named("flow-grpo", null, "ocr", null).regularizers().size(), "no KL by default");
        assertEquals(0.04, beta(Sd35Methods.named("flow-grpo-kl", null, "ocr", null)));
        assertEquals(0.04, beta(Sd35Methods.named("gardo", null, "ocr", null)));
        assertEquals(0.07, beta(Sd35Methods.named("gardo", null, "pickscore=dir", null)));
        assertEquals(1e-4, beta(Sd35Methods.named("diffusion-nft", null, "ocr", null)));
        for (String m : java.util.List.of("flow-grpo", "flow-grpo-kl", "gardo", "diffusion-nft")) {
            assertEquals(0.02, beta(Sd35Methods.named(m, null, "ocr", 0.02)), m);
        }
        assertEquals(1, Sd35Methods.named("crd", null, "ocr", null).regularizers().size());
        for (String m : java.util.List.of("flow-grpo", "flow-grpo-kl", "gardo", "diffusion-nft", "crd")) {
            assertEquals(0, Sd35Methods.named(m, null, "ocr", 0.0).regularizers().size(), m + ", beta 0: no KL");
        }
        assertEquals(0.04, beta(Sd35Methods.gardo("ocr", null, null)));
        assertEquals(0.5, beta(Sd35Methods.gardo("ocr", null, 0.5)));
    }
}
