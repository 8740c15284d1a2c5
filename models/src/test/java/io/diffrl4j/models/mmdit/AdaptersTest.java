package io.diffrl4j.models.mmdit;

import io.diffrl4j.core.adapter.AdapterFiles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.testing.TinyModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AdaptersTest {
    private static float[] velocity(MmditModel model, NDManager m) {
        NDArray x = new SeededNoise(1).normal(m, new Shape(2).addAll(TinyModels.latentShape()));
        NDArray sigma = m.create(new float[] {0.9f, 0.3f});
        Conditioning c = TinyModels.conditioning(m, 2, 2);
        return model.velocity(x, sigma, c).toFloatArray();
    }

    /** Makes B non-zero so that the adapter changes the output. */
    private static void perturb(AdapterSet set, long seed) {
        SeededNoise rng = new SeededNoise(seed);
        for (String module : set.modules()) {
            NDArray up = set.get(module).up();
            up.addi(rng.normal(up.getManager(), up.getShape()).muli(0.1));
        }
    }

    @Test
    void adaptersSitOnEveryAttentionProjection() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0)) {
            // Block 0: joint attn (8 projections); its image-only attn2 is not adapted (the reference
            // recipe's targets are attn.*). Block 1 is context-pre-only, so it has no to_add_out: 7.
            assertEquals(8 + 7, model.adapters().moduleShapes().size());
            assertFalse(model.adapters().moduleShapes().containsKey("transformer_blocks.0.attn2.to_q"));
            assertFalse(model.adapters().moduleShapes().containsKey("transformer_blocks.1.attn.to_add_out"));
            AdapterSet policy = model.adapters().create("policy", true, new SeededNoise(3));
            assertEquals(15 * 2 * 4 * 16, policy.parameterCount());
            assertEquals(new Shape(4, 16), policy.get("transformer_blocks.0.attn.to_q").down().getShape());
            assertEquals(new Shape(16, 4), policy.get("transformer_blocks.0.attn.to_q").up().getShape());
            // Gaussian A with std 1/r = 0.25: the sample std of 15 * 64 draws is within 10%.
            double sum = 0;
            double sq = 0;
            int n = 0;
            for (String module : policy.modules()) {
                for (float v : policy.get(module).down().toFloatArray()) {
                    sum += v;
                    sq += v * v;
                    n++;
                }
            }
            double std = Math.sqrt(sq / n - (sum / n) * (sum / n));
            assertEquals(0.25, std, 0.025);
        }
    }

    @Test
    void zeroUpFactorLeavesTheBaseExactlyAndDisableRestoresIt() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0)) {
            float[] base = velocity(model, m);
            model.adapters().create("policy", true, new SeededNoise(3));
            model.adapters().use("policy");
            assertArrayEquals(base, velocity(model, m), 0f);
            perturb(model.adapters().get("policy"), 4);
            float[] adapted = velocity(model, m);
            double diff = 0;
            for (int i = 0; i < base.length; i++) {
                diff = Math.max(diff, Math.abs(base[i] - adapted[i]));
            }
            assertTrue(diff > 1e-3, "adapter changed the output by only " + diff);
            model.adapters().disable();
            assertArrayEquals(base, velocity(model, m), 0f);
            assertArrayEquals(adapted, model.adapters().with("policy", () -> velocity(model, m)), 0f);
            assertNull(model.adapters().active());
        }
    }

    @Test
    void hardCopyAndEmaBlendAreElementWise() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0)) {
            Adapters adapters = model.adapters();
            AdapterSet policy = adapters.create("policy", true, new SeededNoise(3));
            perturb(policy, 5);
            AdapterSet ref = adapters.copyOf("reference", policy, false);
            String module = "transformer_blocks.0.attn.to_k";
            float[] before = policy.get(module).up().toFloatArray();
            assertArrayEquals(before, ref.get(module).up().toFloatArray(), 0f);
            perturb(policy, 6); // the copy is independent of later policy changes
            assertArrayEquals(before, ref.get(module).up().toFloatArray(), 0f);
            float[] theta = policy.get(module).up().toFloatArray();

            ref.blend(policy, 0.25);
            float[] blended = ref.get(module).up().toFloatArray();
            for (int i = 0; i < blended.length; i++) {
                assertEquals(0.25 * before[i] + 0.75 * theta[i], blended[i], 1e-6);
            }
            ref.blend(policy, 1.0);
            assertArrayEquals(blended, ref.get(module).up().toFloatArray(), 0f);
            ref.copyFrom(policy);
            assertArrayEquals(theta, ref.get(module).up().toFloatArray(), 0f);
            assertArrayEquals(policy.get(module).down().toFloatArray(), ref.get(module).down().toFloatArray(), 0f);
            assertThrows(IllegalArgumentException.class, () -> ref.blend(policy, 1.5));
        }
    }

    @Test
    void onlyTheTrainableSetReceivesGradients() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0)) {
            AdapterSet policy = model.adapters().create("policy", true, new SeededNoise(3));
            perturb(policy, 7);
            model.adapters().use("policy");
            try (NDManager step = m.newSubManager()) {
                NDArray x = new SeededNoise(1).normal(step, new Shape(2).addAll(TinyModels.latentShape()));
                try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                    NDArray v = model.velocity(x, step.create(new float[] {0.5f, 0.5f}), TinyModels.conditioning(step, 2, 2));
                    gc.backward(v.square().mean());
                }
                NDArray gradA = policy.get("transformer_blocks.1.attn.to_v").down().getGradient();
                assertTrue(gradA.abs().sum().getFloat() > 0);
                gradA.close();
                NDArray baseWeight = model.baseWeights().get("transformer_blocks.1.attn.to_v.weight");
                assertFalse(baseWeight.hasGradient());
            }
        }
    }

    @Test
    void saveAndLoadRoundTripIsBitExactInBothFormats(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0)) {
            AdapterSet policy = model.adapters().create("policy", true, new SeededNoise(3));
            perturb(policy, 8);
            for (AdapterFiles.Format format : AdapterFiles.Format.values()) {
                Path folder = dir.resolve(format.name());
                AdapterFiles.save(policy, model.adapters().config(), folder, format);
                assertTrue(Files.exists(folder.resolve(format.fileName())));
                AdapterSet loaded = AdapterFiles.load(model.adapters(), "loaded-" + format, folder, false);
                for (String module : policy.modules()) {
                    assertArrayEquals(policy.get(module).down().toFloatArray(), loaded.get(module).down().toFloatArray(), 0f);
                    assertArrayEquals(policy.get(module).up().toFloatArray(), loaded.get(module).up().toFloatArray(), 0f);
                }
            }
            try (io.diffrl4j.core.weights.SafetensorsReader r =
                    new io.diffrl4j.core.weights.SafetensorsReader(dir.resolve("PEFT/adapter_model.safetensors"))) {
                assertNotNull(r.info("base_model.model.transformer_blocks.0.attn.add_q_proj.lora_A.weight"));
            }
            try (io.diffrl4j.core.weights.SafetensorsReader r =
                    new io.diffrl4j.core.weights.SafetensorsReader(dir.resolve("DIFFUSERS/pytorch_lora_weights.safetensors"))) {
                assertNotNull(r.info("transformer.transformer_blocks.0.attn.to_out.0.lora_B.weight"));
            }
        }
    }

    @Test
    void mismatchedAdaptersAreRefusedWithTheReason(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 0);
                MmditModel other = MmditModel.random(TinyModels.config(),
                        LoraConfig.builder().optRank(2).optAlpha(8).build(), m, 0)) {
            AdapterSet policy = model.adapters().create("policy", true, new SeededNoise(3));
            AdapterFiles.save(policy, model.adapters().config(), dir, AdapterFiles.Format.PEFT);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AdapterFiles.load(other.adapters(), "x", dir, false));
            assertTrue(e.getMessage().contains("has r=4, lora_alpha=8.0 but the model's adapters use r=2"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> model.adapters().create("policy", true, new SeededNoise(1)));
            IllegalArgumentException missing = assertThrows(IllegalArgumentException.class, () -> model.adapters().use("nope"));
            assertEquals("no adapter set named 'nope'; have [policy]", missing.getMessage());
            assertEquals(List.of("policy"), List.copyOf(model.adapters().names()));
        }
    }
}
