package io.diffrl4j.models.vae;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Loading: a diffusers folder, and checkpoints that do not match the config. */
class VaeLoadingTest {

    @Test
    void loadsADiffusersFolder(@TempDir Path dir) throws Exception {
        Files.copy(Fixtures.file("sd3-tiny/vae_config.json"), dir.resolve("config.json"));
        Files.copy(Fixtures.file("sd3-tiny/vae.safetensors"), dir.resolve("diffusion_pytorch_model.safetensors"));
        try (NDManager m = NDManager.newBaseManager(); AutoencoderKL vae = AutoencoderKL.load(dir, m, DataType.FLOAT32)) {
            try (WeightSource w = WeightSources.open(dir)) {
                long stored = 0;
                for (String name : w.names()) {
                    stored += w.info(name).numElements();
                }
                assertEquals(stored, vae.parameterCount());
            }
        }
    }

    @Test
    void missingAndUnexpectedTensorsAreListed(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager(); WeightSource w = WeightSources.open(Fixtures.file("sd3-tiny/vae.safetensors"))) {
            Map<String, NDArray> all = w.readAll(m, DataType.FLOAT32);
            all.remove("decoder.mid_block.attentions.0.to_q.weight");
            all.remove("encoder.conv_in.bias");
            all.put("decoder.extra.weight", m.zeros(new ai.djl.ndarray.types.Shape(2)));
            Path file = dir.resolve("broken.safetensors");
            SafetensorsWriter.save(file, all, Map.of());
            VaeConfig c = VaeConfig.fromJson(Fixtures.file("sd3-tiny/vae_config.json"));
            try (WeightSource broken = WeightSources.open(file)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> AutoencoderKL.load(c, broken, m, DataType.FLOAT32));
                assertEquals("checkpoint does not match the VAE config: 2 missing "
                        + "[decoder.mid_block.attentions.0.to_q.weight, encoder.conv_in.bias], 1 unexpected "
                        + "[decoder.extra.weight]", e.getMessage());
            }
        }
    }

    @Test
    void shapeMismatchesSayWhatWasFoundAndWhatIsNeeded() throws Exception {
        VaeConfig eight = VaeConfig.builder().optLatentChannels(8).optBlockOutChannels(List.of(8, 16))
                .optNormNumGroups(4).optUseQuantConv(false).optUsePostQuantConv(false).build();
        try (NDManager m = NDManager.newBaseManager(); WeightSource w = WeightSources.open(Fixtures.file("sd3-tiny/vae.safetensors"))) {
            int before = m.getManagedArrays().size();
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderKL.load(eight, w, m, DataType.FLOAT32));
            assertEquals("3 weights have the wrong shape: "
                    + "weight encoder.conv_out.weight has shape (32, 16, 3, 3), the config needs (16, 16, 3, 3); "
                    + "weight encoder.conv_out.bias has shape (32), the config needs (16); "
                    + "weight decoder.conv_in.weight has shape (16, 16, 3, 3), the config needs (16, 8, 3, 3)", e.getMessage());
            assertEquals(before, m.getManagedArrays().size(), "nothing was read");
            assertTrue(assertThrows(IllegalArgumentException.class,
                    () -> AutoencoderKL.load(eight, w, m, DataType.INT32)).getMessage().contains("FLOAT32 or FLOAT16"));
        }
    }
}
