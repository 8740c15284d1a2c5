package io.diffrl4j.regularizers.gardo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.models.testing.ToyFlowModel;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** When the reference is renewed, what the threshold does, and that the KL is zero right after. */
class AdaptiveReferenceTest {
    private static final int B = 5;
    private static final int DIM = 3;

    private static ToyFlowModel model(NDManager m) {
        ToyFlowModel model = new ToyFlowModel(m, DIM, 0.5, 0.8, 2, 7);
        AdapterSet policy = model.adapters().create(AdapterRoles.POLICY, true, new SeededNoise(11));
        model.adapters().copyOf(AdapterRoles.REFERENCE, policy, false);
        return model;
    }

    private static void perturb(AdapterSet set, long seed) {
        SeededNoise rng = new SeededNoise(seed);
        for (NDArray p : set.parameters()) {
            p.addi(rng.normal(p.getManager(), p.getShape()).muli(0.3));
        }
    }

    private static boolean sameWeights(Adapters adapters) {
        List<NDArray> a = adapters.get(AdapterRoles.POLICY).parameters();
        List<NDArray> b = adapters.get(AdapterRoles.REFERENCE).parameters();
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i).toFloatArray(), b.get(i).toFloatArray())) {
                return false;
            }
        }
        return true;
    }

    private static TrainingProgress at(int epoch) {
        return new TrainingProgress(epoch, 2L * epoch);
    }

    /** The policy's velocity, and the same under other sets: the KL of DiffusionNFT's prediction. */
    private static double referenceKl(NDManager m, ToyFlowModel model) {
        NDArray x = new SeededNoise(3).normal(m, new Shape(B, DIM));
        NDArray sigma = m.full(new Shape(B), 0.6f);
        Conditioning none = Conditioning.none(B);
        NDArray v = model.adapters().with(AdapterRoles.POLICY, () -> model.velocity(x, sigma, none));
        Prediction p = new Prediction() {
            @Override
            public NDArray policy() {
                return v;
            }

            @Override
            public NDArray under(String set, double guidance) {
                return model.adapters().with(set, () -> model.velocity(x, sigma, none));
            }

            @Override
            public double guidance() {
                return 1.0;
            }

            @Override
            public NDArray klScale(KlForm form) {
                return m.create(1f);
            }
        };
        MicroBatch mb = new MicroBatch(m, new MicroBatch.Place(new int[] {0, 1, 2, 3, 4}, B),
                new MicroBatch.Drawn(x, List.of(), none, null, null),
                new MicroBatch.Scored(m.zeros(new Shape(B)), null), new MicroBatch.Update(at(0), new SeededNoise(1)));
        float[] kl = new ReferenceKl(AdapterRoles.REFERENCE, 1.0, KlForm.CODE, KlStrength.constant(1)).perSample(mb, p)
                .toFloatArray();
        double max = 0;
        for (float k : kl) {
            max = Math.max(max, k);
        }
        return max;
    }

    @Test
    void renewsWhenAStepExceedsTheThresholdAndNotOtherwise() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            Adapters adapters = model.adapters();
            AdaptiveReference schedule = AdaptiveReference.flowGrpo().build();
            schedule.beforeUpdate(adapters, at(0));
            perturb(adapters.get(AdapterRoles.POLICY), 12);
            assertTrue(referenceKl(m, model) > 1e-6, "the policy moved away from the reference");

            schedule.afterStep(adapters, at(0), Map.of("kl_gated", 2e-4, "loss", 1.0));
            schedule.afterStep(adapters, at(0), Map.of("kl_gated", 3e-4));
            schedule.beforeUpdate(adapters, at(1));
            assertFalse(sameWeights(adapters), "kl <= 3e-4 keeps the reference");
            assertEquals(0, schedule.renewals());

            schedule.afterStep(adapters, at(1), Map.of("kl_gated", 3.1e-4));
            schedule.afterStep(adapters, at(1), Map.of("kl_gated", 1e-5));
            assertTrue(schedule.renewalDue(), "any step above the threshold makes a renewal due");
            assertFalse(sameWeights(adapters), "renewal waits for the next epoch");
            schedule.beforeUpdate(adapters, at(2));
            assertTrue(sameWeights(adapters), "hard copy of the policy");
            assertEquals(1, schedule.renewals());
            assertEquals(2, schedule.lastRenewal());
            assertFalse(schedule.renewalDue());
            assertEquals(0.0, referenceKl(m, model), 0.0, "KL against the renewed reference");

            // The copy is a snapshot: the policy moves on, the reference stays.
            perturb(adapters.get(AdapterRoles.POLICY), 13);
            assertFalse(sameWeights(adapters));
            assertTrue(referenceKl(m, model) > 1e-6);
            schedule.afterStep(adapters, at(2), Map.of("loss", 1.0));
            schedule.beforeUpdate(adapters, at(3));
            assertFalse(sameWeights(adapters), "a step without the metric triggers nothing");
        }
    }

    @Test
    void theGatedKlDecidesTheRenewalAsInTheReferenceCode() {
        // GARDO's scripts compare the gated KL (info["kl_loss"], reduced_log_info["kl_div_loss"]) with
        // the threshold: an ungated mean above 3e-4 with a gated one below it renews nothing.
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            Adapters adapters = model.adapters();
            AdaptiveReference schedule = AdaptiveReference.flowGrpo().build();
            assertEquals("kl_gated", schedule.metric());
            assertEquals("kl_gated", AdaptiveReference.diffusionNft().build().metric());
            schedule.afterStep(adapters, at(0), Map.of("kl", 2e-3, "kl_gated", 1e-4));
            assertFalse(schedule.renewalDue());
            schedule.afterStep(adapters, at(0), Map.of("kl", 1e-4, "kl_gated", 4e-4));
            assertTrue(schedule.renewalDue());
            AdaptiveReference plain = schedule.toBuilder().optMetric("kl").build();
            assertEquals("kl", plain.metric());
            assertEquals(schedule.klThreshold(), plain.klThreshold(), 0.0);
            assertFalse(plain.renewalDue(), "a builder copies settings, not state");
        }
    }

    @Test
    void renewsAfterMoreThanMaxEpochsAndNeverAtEpochZero() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            Adapters adapters = model.adapters();
            AdaptiveReference schedule = AdaptiveReference.flowGrpo().build();
            schedule.afterStep(adapters, at(0), Map.of("kl_gated", 1.0));
            perturb(adapters.get(AdapterRoles.POLICY), 12);
            schedule.beforeUpdate(adapters, at(0));
            assertFalse(sameWeights(adapters), "epoch 0 never renews");
            schedule.restore(Map.of());
            for (int epoch = 1; epoch <= 15; epoch++) {
                schedule.afterStep(adapters, at(epoch - 1), Map.of("kl_gated", 1e-4));
                schedule.beforeUpdate(adapters, at(epoch));
                assertFalse(sameWeights(adapters), "epoch " + epoch);
            }
            schedule.beforeUpdate(adapters, at(16));
            assertTrue(sameWeights(adapters), "16 > 15 epochs since the initial copy");
            assertEquals(16, schedule.lastRenewal());
            perturb(adapters.get(AdapterRoles.POLICY), 13);
            schedule.beforeUpdate(adapters, at(31));
            assertFalse(sameWeights(adapters));
            schedule.beforeUpdate(adapters, at(32));
            assertTrue(sameWeights(adapters));
            assertEquals(2, schedule.renewals());
            assertEquals(3e-4, schedule.threshold(), 0.0, "Flow-GRPO's threshold is fixed");
        }
    }

    @Test
    void diffusionNftThresholdAdaptsAtRenewalsAsTheReferenceCode() {
        // By hand from train_sd3_nft_gardo.py, thres = 0.15 at the start:
        //   gap > 15: thres = max(thres - 0.01, 0.1);  gap < 5: thres = min(thres + 0.01, 0.05)
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            Adapters adapters = model.adapters();
            AdaptiveReference schedule = AdaptiveReference.diffusionNft().build();
            assertEquals(0.15, schedule.threshold(), 0.0);
            schedule.afterStep(adapters, at(3), Map.of("kl_gated", 0.15));
            schedule.beforeUpdate(adapters, at(4));
            assertEquals(0, schedule.renewals(), "0.15 is not above 0.15");
            schedule.beforeUpdate(adapters, at(16));
            assertEquals(1, schedule.renewals());
            assertEquals(0.14, schedule.threshold(), 1e-12, "max(0.15 - 0.01, 0.1)");
            schedule.afterStep(adapters, at(16), Map.of("kl_gated", 0.145));
            schedule.beforeUpdate(adapters, at(18));
            assertEquals(0.05, schedule.threshold(), 1e-12, "min(0.14 + 0.01, 0.05): a quick renewal lowers it");
            schedule.afterStep(adapters, at(18), Map.of("kl_gated", 0.06));
            schedule.beforeUpdate(adapters, at(20));
            assertEquals(0.05, schedule.threshold(), 1e-12, "min(0.06, 0.05)");
            schedule.afterStep(adapters, at(20), Map.of("kl_gated", 0.2));
            schedule.beforeUpdate(adapters, at(25));
            assertEquals(0.05, schedule.threshold(), 1e-12, "5 epochs: neither short nor long");
            schedule.beforeUpdate(adapters, at(41));
            assertEquals(0.1, schedule.threshold(), 1e-12, "max(0.05 - 0.01, 0.1): a slow renewal raises it to the floor");

            // The paper's reading, as an option: a quick renewal raises the threshold without a cap.
            AdaptiveReference paper = AdaptiveReference.diffusionNft()
                    .optThresholdIncrease(0.01, Double.POSITIVE_INFINITY).build();
            for (int e = 1; e <= 3; e++) {
                paper.afterStep(adapters, at(e - 1), Map.of("kl_gated", 1.0));
                paper.beforeUpdate(adapters, at(e));
            }
            assertEquals(3, paper.renewals());
            assertEquals(0.18, paper.threshold(), 1e-12);
            AdaptiveReference capped = AdaptiveReference.diffusionNft()
                    .optThresholdIncrease(0.01, 0.16).build();
            for (int e = 1; e <= 3; e++) {
                capped.afterStep(adapters, at(e - 1), Map.of("kl_gated", 1.0));
                capped.beforeUpdate(adapters, at(e));
            }
            assertEquals(0.16, capped.threshold(), 1e-12, "capped at the ceiling");
        }
    }

    @Test
    void stateRoundTripsSoThatResumedRunsDecideAlike() {
        try (NDManager m = NDManager.newBaseManager(); ToyFlowModel model = model(m)) {
            Adapters adapters = model.adapters();
            AdaptiveReference a = AdaptiveReference.diffusionNft().build();
            a.beforeUpdate(adapters, at(16));
            a.afterStep(adapters, at(16), Map.of("kl_gated", 0.5));
            AdaptiveReference b = AdaptiveReference.diffusionNft().build();
            b.restore(a.state());
            assertEquals(a.state(), b.state());
            assertTrue(b.renewalDue());
            assertEquals(16, b.lastRenewal());
            assertEquals(0.14, b.threshold(), 1e-12);
            a.beforeUpdate(adapters, at(17));
            b.beforeUpdate(adapters, at(17));
            assertEquals(a.state(), b.state());
            assertArrayEquals(new double[] {0.05, 17, 0, 2}, new double[] {b.threshold(), b.lastRenewal(),
                    b.renewalDue() ? 1 : 0, b.renewals()}, 1e-12);
            assertThrows(IllegalArgumentException.class, () -> b.restore(Map.of("threshold", 0.1)));
        }
    }

    @Test
    void configsNameTheirBadField() {
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AdaptiveReference.flowGrpo().optKlThreshold(-1).build()).getMessage().contains("klThreshold"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AdaptiveReference.flowGrpo().optMaxEpochs(0).build()).getMessage().contains("maxEpochs"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AdaptiveReference.flowGrpo().optTarget(AdapterRoles.POLICY).build()).getMessage()
                .contains("differ"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> AdaptiveReference.diffusionNft().optThresholdIncrease(0.01, -1).build()).getMessage()
                .contains("thresholdCeiling"));
    }
}
