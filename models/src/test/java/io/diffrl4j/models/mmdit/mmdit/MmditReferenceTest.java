package io.diffrl4j.models.mmdit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The MMDiT against diffusers' SD3Transformer2DModel on the tiny SD3.5-family fixture. */
class MmditReferenceTest {
    static double maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    @Test
    void matchesDiffusersOnTheTinySd35Transformer() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                WeightSource weights = WeightSources.open(Fixtures.file("sd3-tiny/transformer.safetensors"))) {
            MmditConfig config = MmditConfig.fromJson(Fixtures.file("sd3-tiny/transformer_config.json"));
            assertEquals(java.util.List.of(0, 1), config.dualAttentionLayers());
            Map<String, NDArray> io = Fixtures.tensors("sd3-tiny/transformer_io.safetensors", m);
            try (MmditModel model = MmditModel.load(config, LoraConfig.builder().optRank(4).build(), weights, m, DataType.FLOAT32)) {
                NDArray expected = io.get("output");
                for (AttentionBackend backend : new AttentionBackend[] {AttentionBackend.composed(), AttentionBackend.auto()}) {
                    model.setAttentionBackend(backend);
                    NDArray out = model.transformer().forward(io.get("hidden_states"), io.get("timestep"),
                            io.get("encoder_hidden_states"), io.get("pooled_projections"));
                    assertEquals(expected.getShape(), out.getShape());
                    double err = maxAbs(out, expected);
                    // Measured: 1.05e-5 (composed) on a 2x16x12x16 non-square latent; outputs are O(1).
                    assertTrue(err < 1e-4, backend.name() + " max abs error " + err);
                }
            }
        }
    }

    @Test
    void positionalTableEqualsTheStoredDiffusersBuffer() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                WeightSource weights = WeightSources.open(Fixtures.file("sd3-tiny/transformer.safetensors"))) {
            NDArray stored = weights.read("pos_embed.pos_embed", m, DataType.FLOAT32); // (1, 16*16, 32)
            // The whole 16 x 16 grid of a sample_size 16, patch 2 model: base size 8.
            float[] ours = SinCosPositionalEmbedding.cropped(32, 16, 8, 16, 16);
            NDArray table = m.create(ours, stored.getShape());
            assertTrue(maxAbs(table, stored) < 1e-6, "max abs error " + maxAbs(table, stored));
        }
    }
}
