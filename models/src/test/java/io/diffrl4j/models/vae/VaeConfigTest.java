package io.diffrl4j.models.vae;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.testing.Fixtures;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** The VAE config (diffusers' field names, validation), the module layout it implies, and the pipeline's latent mapping. */
class VaeConfigTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void readsTheFixtureConfig() throws Exception {
        VaeConfig c = VaeConfig.fromJson(Fixtures.file("sd3-tiny/vae_config.json"));
        assertEquals(16, c.latentChannels());
        assertEquals(List.of(8, 16), c.blockOutChannels());
        assertEquals(1, c.layersPerBlock());
        assertEquals(4, c.normNumGroups());
        assertEquals(1.5305, c.scalingFactor(), 0);
        assertEquals(0.0609, c.shiftFactor(), 0);
        assertFalse(c.useQuantConv());
        assertFalse(c.usePostQuantConv());
        assertTrue(c.midBlockAddAttention(), "absent: diffusers' default");
        assertEquals(c, VaeConfig.fromJson(c.toJson()));
    }

    @Test
    void diffusersDefaultsApplyToAbsentFields() {
        VaeConfig c = VaeConfig.fromJson(JSON.createObjectNode().putNull("shift_factor"));
        assertEquals(4, c.latentChannels());
        assertEquals(0.18215, c.scalingFactor(), 0);
        assertEquals(0.0, c.shiftFactor(), 0);
        assertTrue(c.useQuantConv() && c.usePostQuantConv());
        assertEquals(List.of(VaeConfig.DOWN_BLOCK), c.downBlockTypes());
    }

    @Test
    void sd35MediumHasExactlyTheCheckpointsNamesAndShapes() throws Exception {
        JsonNode keys = JSON.readTree(Files.readString(Fixtures.file("sd35m_keys.json"))).get("vae");
        Map<String, Shape> expected = new LinkedHashMap<>();
        keys.fields().forEachRemaining(e -> {
            long[] dims = new long[e.getValue().size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = e.getValue().get(i).asLong();
            }
            expected.put(e.getKey(), new Shape(dims));
        });
        VaeNetwork net = new VaeNetwork(VaeConfig.sd35Medium());
        assertEquals(expected.size(), net.namedParameters().size());
        assertEquals(Map.copyOf(expected), Map.copyOf(net.namedShapes()));
        assertEquals(8, VaeConfig.sd35Medium().downscaleFactor());
    }

    @Test
    void everyParameterHasAShapeRule() throws Exception {
        VaeConfig quant = VaeConfig.builder().optBlockOutChannels(List.of(32, 64)).optMidBlockAddAttention(false).build();
        VaeNetwork net = new VaeNetwork(quant);
        assertEquals(net.namedParameters().keySet(), net.namedShapes().keySet());
        assertEquals(new Shape(8, 8, 1, 1), net.namedShapes().get("quant_conv.weight"));
        assertEquals(new Shape(4, 4, 1, 1), net.namedShapes().get("post_quant_conv.weight"));
        assertFalse(net.namedShapes().keySet().stream().anyMatch(k -> k.contains("attentions")));
    }

    @Test
    void anUnknownBlockTypeIsRefusedByName() {
        ObjectNode n = JSON.createObjectNode();
        n.putArray("block_out_channels").add(32).add(64);
        n.putArray("down_block_types").add("DownEncoderBlock2D").add("CrossAttnDownBlock2D");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromJson(n));
        assertEquals("down_block_types holds \"CrossAttnDownBlock2D\": only DownEncoderBlock2D is supported "
                + "(AutoencoderKL's own block type)", e.getMessage());
        n.putArray("down_block_types").add("DownEncoderBlock2D").add("DownEncoderBlock2D");
        n.putArray("up_block_types").add("UpDecoderBlock2D").add("AttnUpDecoderBlock2D");
        e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromJson(n));
        assertTrue(e.getMessage().startsWith("up_block_types holds \"AttnUpDecoderBlock2D\""), e.getMessage());
        n.putArray("up_block_types").add("UpDecoderBlock2D");
        e = assertThrows(IllegalArgumentException.class, () -> VaeConfig.fromJson(n));
        assertTrue(e.getMessage().startsWith("up_block_types must name one type per block_out_channels entry (2)"),
                e.getMessage());
    }

    @Test
    void badValuesNameTheField() {
        assertEquals("norm_num_groups must be >= 1, got 0", assertThrows(IllegalArgumentException.class,
                () -> VaeConfig.builder().optNormNumGroups(0).build()).getMessage());
        assertEquals("block_out_channels [64, 48] must be positive multiples of norm_num_groups (32)",
                assertThrows(IllegalArgumentException.class,
                        () -> VaeConfig.builder().optBlockOutChannels(List.of(64, 48)).build()).getMessage());
        assertEquals("scaling_factor must be finite and > 0, got 0.0", assertThrows(IllegalArgumentException.class,
                () -> VaeConfig.builder().optScalingFactor(0).build()).getMessage());
        assertEquals("act_fn must be \"silu\", got \"gelu\"", assertThrows(IllegalArgumentException.class,
                () -> VaeConfig.builder().optActFn("gelu").build()).getMessage());
    }

    @Test
    void latentScalingOnHandMadeNumbers() {
        VaeConfig c = VaeConfig.sd35Medium();
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray latents = m.create(new float[] {1.5305f, 0f, -3.061f});
            // latents / 1.5305 + 0.0609
            assertArrayEquals(new float[] {1.0609f, 0.0609f, -1.9391f},
                    LatentScaling.toDecoderInput(latents, c).toFloatArray(), 1e-6f);
            // (z - 0.0609) * 1.5305, the inverse
            assertArrayEquals(new float[] {1.5305f, 0f, -3.061f},
                    LatentScaling.toLatents(m.create(new float[] {1.0609f, 0.0609f, -1.9391f}), c).toFloatArray(), 1e-6f);
            // x / 2 + 0.5, clamped to [0, 1]
            NDArray x = m.create(new float[] {-3f, -1f, 0f, 0.5f, 1f, 3f});
            assertArrayEquals(new float[] {0f, 0f, 0.5f, 0.75f, 1f, 1f}, LatentScaling.toImage(x).toFloatArray(), 0f);
            assertArrayEquals(new float[] {-1f, 0f, 0.5f, 1f},
                    LatentScaling.fromImage(m.create(new float[] {0f, 0.5f, 0.75f, 1f})).toFloatArray(), 0f);
        }
    }
}
