package io.diffrl4j.models.mmdit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.models.testing.TinyModels;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MmditModelTest {
    private static float[] run(MmditModel model, NDManager m, long batch, long h, long w) {
        NDArray x = new SeededNoise(1).normal(m, new Shape(batch, 4, h, w));
        NDArray sigma = new SeededNoise(2).uniform(m, new Shape(batch), 0, 1);
        NDArray out = model.velocity(x, sigma, TinyModels.conditioning(m, (int) batch, 3));
        assertEquals(x.getShape(), out.getShape());
        return out.toFloatArray();
    }

    @Test
    void intermediatesGoWithTheLatentsNotWithALongLivedConditioning() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 4);
                NDManager rollout = m.newSubManager()) {
            Conditioning c = TinyModels.conditioning(rollout, 2, 3);
            NDArray sigma = rollout.create(new float[] {0.5f, 0.25f});
            float[] first = null;
            int held = rollout.getManagedArrays().size();
            for (int step = 0; step < 3; step++) {
                try (NDManager s = rollout.newSubManager()) {
                    NDArray x = s.ones(new Shape(2, 4, 8, 8));
                    float[] v = model.velocity(x, sigma, c).toFloatArray();
                    if (first == null) {
                        first = v;
                    }
                    assertArrayEquals(first, v, 0f);
                }
                // 498 arrays per 3 steps stayed behind before the fix
                assertEquals(held, rollout.getManagedArrays().size(), "arrays left in the conditioning's manager");
            }
        }
    }

    @Test
    void outputShapeFollowsTheInputAndTheSeedFixesTheNumbers() {
        try (NDManager m = NDManager.newBaseManager();
                MmditModel a = TinyModels.mmdit(m, 42);
                MmditModel b = TinyModels.mmdit(m, 42);
                MmditModel c = TinyModels.mmdit(m, 43)) {
            float[] ya = run(a, m, 3, 8, 8);
            assertArrayEquals(ya, run(b, m, 3, 8, 8), 0f);
            assertTrue(Math.abs(ya[0] - run(c, m, 3, 8, 8)[0]) > 1e-6);
            // A non-square latent smaller than the positional grid is centre-cropped.
            assertEquals(2 * 4 * 4 * 6, run(a, m, 2, 4, 6).length);
        }
    }

    @Test
    void fusedAndComposedAttentionGiveTheSameModel() {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 5)) {
            model.setAttentionBackend(AttentionBackend.composed());
            float[] composed = run(model, m, 2, 8, 8);
            model.setAttentionBackend(AttentionBackend.fused());
            float[] fused = run(model, m, 2, 8, 8);
            // Measured: differences in the last float bits (about 1e-8) on outputs of order 0.1-1.
            assertArrayEquals(composed, fused, 1e-5f);
        }
    }

    @Test
    void savedBaseReloadsToTheSameModel(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 9)) {
            Path file = dir.resolve("diffusion_pytorch_model.safetensors");
            model.saveBase(file);
            Files.writeString(dir.resolve("config.json"), model.config().toJson().toString());
            assertEquals(model.config(), MmditConfig.fromJson(dir.resolve("config.json")));
            try (WeightSource w = WeightSources.open(dir);
                    MmditModel reloaded = MmditModel.load(model.config(), TinyModels.lora(), w, m, DataType.FLOAT32)) {
                assertArrayEquals(run(model, m, 2, 8, 8), run(reloaded, m, 2, 8, 8), 0f);
                assertEquals(model.parameterCount(), reloaded.parameterCount());
            }
        }
    }

    @Test
    void aCheckpointOfAnotherConfigIsRefusedWithTheMismatch(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 9)) {
            model.saveBase(dir.resolve("w.safetensors"));
            MmditConfig deeper = MmditConfig.fromJson(model.config().toJson().put("num_layers", 3));
            try (WeightSource w = WeightSources.open(dir.resolve("w.safetensors"))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> MmditModel.load(deeper, TinyModels.lora(), w, m, DataType.FLOAT32));
                // Block 1 stops being the context-pre-only last block (it now needs a text MLP), block 2 is new.
                assertTrue(e.getMessage().startsWith("checkpoint does not match the transformer config: 32 missing "
                        + "[transformer_blocks.1.attn.to_add_out.bias"), e.getMessage());
            }
            MmditConfig wider = MmditConfig.fromJson(model.config().toJson().put("joint_attention_dim", 7));
            try (WeightSource w = WeightSources.open(dir.resolve("w.safetensors"))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> MmditModel.load(wider, TinyModels.lora(), w, m, DataType.FLOAT32));
                assertEquals("weight context_embedder.weight has shape (16, 12), the config needs (16, 7)", e.getMessage());
            }
        }
    }

    @Test
    void badConfigsNameTheField() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MmditConfig.builder().optNumLayers(0).build());
        assertEquals("num_layers must be >= 1, got 0", e.getMessage());
        e = assertThrows(IllegalArgumentException.class,
                () -> MmditConfig.builder().optNumLayers(2).optDualAttentionLayers(java.util.List.of(5)).build());
        assertEquals("dual_attention_layers entry 5 is outside [0, 2)", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> MmditConfig.builder().optQkNorm("layer_norm").build());
        assertEquals("qk_norm must be \"rms_norm\" or null, got \"layer_norm\"", e.getMessage());
    }

    @Test
    void sd35MediumHasExactlyTheRealKeysAndShapes() throws Exception {
        com.fasterxml.jackson.databind.JsonNode keys = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(io.diffrl4j.core.testing.Fixtures.file("sd35m_keys.json").toFile()).get("transformer");
        Mmdit t = new Mmdit(MmditConfig.sd35Medium());
        java.util.Map<String, Shape> real = new java.util.TreeMap<>();
        keys.fields().forEachRemaining(e -> {
            long[] dims = new long[e.getValue().size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = e.getValue().get(i).asLong();
            }
            real.put(e.getKey(), new Shape(dims));
        });
        real.remove("pos_embed.pos_embed"); // a derived buffer, recomputed
        java.util.Map<String, Shape> ours = new java.util.TreeMap<>();
        long n = 0;
        for (String name : t.namedParameters().keySet()) {
            Shape s = MmditModel.expectedShape(t, name);
            ours.put(name, s);
            n += s.size();
        }
        assertEquals(real, ours);
        assertEquals(2_469_663_936L - 384L * 384 * 1536, n);
    }

    @Test
    void halfPrecisionBaseTracksFp32AndKeepsFp32AdapterGradients() {
        try (NDManager m = NDManager.newBaseManager();
                MmditModel full = TinyModels.mmdit(m, 21);
                MmditModel half = MmditModel.random(TinyModels.config(), TinyModels.lora(), m, 21, DataType.FLOAT16)) {
            assertEquals(DataType.FLOAT16, half.baseWeights().get("proj_out.weight").getDataType());
            float[] a = run(full, m, 2, 8, 8);
            float[] b = run(half, m, 2, 8, 8);
            double err = 0;
            for (int i = 0; i < a.length; i++) {
                err = Math.max(err, Math.abs(a[i] - b[i]));
            }
            // Measured: about 2e-3 on outputs of order 1 (fp16 has 11 significant bits).
            assertTrue(err < 2e-2, "fp16 base deviates by " + err);
            io.diffrl4j.core.adapter.AdapterSet policy = half.adapters().create("policy", true, new SeededNoise(4));
            half.adapters().use("policy");
            NDArray x = new SeededNoise(1).normal(m, new Shape(2, 4, 8, 8));
            try (ai.djl.training.GradientCollector gc = ai.djl.engine.Engine.getInstance().newGradientCollector()) {
                NDArray v = half.velocity(x, m.create(new float[] {0.5f, 0.5f}), TinyModels.conditioning(m, 2, 3));
                assertEquals(DataType.FLOAT32, v.getDataType());
                gc.backward(v.square().mean());
            }
            NDArray g = policy.get("transformer_blocks.0.attn.to_q").up().getGradient();
            assertEquals(DataType.FLOAT32, g.getDataType());
            assertTrue(g.abs().sum().getFloat() > 0);
        }
    }

    @Test
    void baseArraysCarryTheirDiffusersNames() {
        // Optimizer state is keyed by array name: DJL's Parameter.setArray renames arrays to the
        // short parameter name ("weight"), which would make every layer share one moment.
        try (NDManager m = NDManager.newBaseManager(); MmditModel model = TinyModels.mmdit(m, 2)) {
            java.util.List<NDArray> arrays = model.setBaseTrainable(false);
            java.util.Set<String> names = new java.util.HashSet<>();
            arrays.forEach(a -> names.add(a.getName()));
            assertEquals(arrays.size(), names.size());
            assertEquals(model.baseWeights().keySet(), names);
        }
    }
}
