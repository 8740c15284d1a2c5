package io.diffrl4j.e2e;

import static io.diffrl4j.e2e.GardoLearnTest.assertGateLogged;
import static io.diffrl4j.e2e.GardoLearnTest.assertLearns;
import static io.diffrl4j.e2e.GardoLearnTest.embedder;
import static io.diffrl4j.e2e.GardoLearnTest.gardoOnGrpo;
import static io.diffrl4j.e2e.GardoLearnTest.grpoBase;
import static io.diffrl4j.e2e.GardoLearnTest.grpoTrainer;
import static io.diffrl4j.e2e.GardoLearnTest.report;
import static io.diffrl4j.e2e.GardoLearnTest.run;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.e2e.GardoLearnTest.Run;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import java.util.Arrays;
import org.junit.jupiter.api.Test;

/**
 * GARDO on Flow-GRPO with one part switched off at a time, on the toy of {@link GardoLearnTest}:
 * every ablation trains, and each differs from full GARDO where, and only where, it should.
 */
class GardoAblationTest {
    private static Run full;

    private static synchronized Run full() throws Exception {
        if (full == null) {
            full = run(gardoOnGrpo(), grpoTrainer());
        }
        return full;
    }

    @Test
    void gateOffAppliesThePlainKlAgainstTheAdaptiveReference() throws Exception {
        Run noGate = run(Gardo.withAdaptiveReference(grpoBase(), AdaptiveReference.flowGrpo()).withName("gardo-flow-grpo")
                .withAdvantages(new DiversityAwareAdvantage(embedder())), grpoTrainer());
        report("no gate", noGate);
        assertLearns("no gate", noGate, 0.5); // measured: -1.871 -> -1.163
        assertTrue(Double.isNaN(noGate.metric("gate_fraction")[0]), "no gate, no gate metrics");
        assertEquals(1, noGate.renewals(), "the plain KL still renews its reference");
        assertFalse(Arrays.equals(full().rewards(), noGate.rewards()), "the KL reaches other samples");
    }

    @Test
    void adaptiveReferenceOffRegularisesTowardsThePretrainedModel() throws Exception {
        Run noReference = run(Gardo.withGate(grpoBase(), GatedKl.builder()).withName("gardo-flow-grpo")
                .withAdvantages(new DiversityAwareAdvantage(embedder())), grpoTrainer());
        report("no adaptive reference", noReference);
        assertLearns("no adaptive reference", noReference, 0.5); // measured: -1.871 -> -1.164
        assertGateLogged("no adaptive reference", noReference);
        assertEquals(0, noReference.renewals());
        // The initial reference equals the pretrained model (LoRA B = 0): both runs agree until the
        // full method renews its reference at epoch 6 (its gated KL passed 3e-4 at epoch 5); from then
        // on the pretrained model is far away.
        for (int e = 0; e <= 6; e++) {
            assertEquals(full().rewards()[e], noReference.rewards()[e], 1e-9, "epoch " + e);
        }
        assertEquals(0.0, full().metric("kl")[6], 1e-12);
        assertTrue(noReference.metric("kl")[6] > 1e-3, Arrays.toString(noReference.metric("kl")));
    }

    @Test
    void diversityOffUsesGroupRelativeAdvantages() throws Exception {
        Run noDiversity = run(Gardo.on(grpoBase(), GatedKl.builder(), AdaptiveReference.flowGrpo()), grpoTrainer());
        report("no diversity", noDiversity);
        assertLearns("no diversity", noDiversity, 0.5); // measured: -1.871 -> -0.918
        assertGateLogged("no diversity", noDiversity);
        assertEquals(1, noDiversity.renewals());
        assertFalse(Arrays.equals(full().rewards(), noDiversity.rewards()), "the advantage estimator differs");
    }
}
