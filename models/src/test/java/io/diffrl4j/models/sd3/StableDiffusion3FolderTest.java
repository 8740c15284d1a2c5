package io.diffrl4j.models.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.models.testing.Sd35MediumLayout;
import io.diffrl4j.models.testing.TinyModels;
import io.diffrl4j.models.testing.TinySd3Folder;
import io.diffrl4j.models.vae.AutoencoderKL;
import io.diffrl4j.models.vae.VaeConfig;
import io.diffrl4j.core.weights.HalfPrecision;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The pipeline folder: configs, on-demand components, bf16 shards, and the errors of a broken folder. */
class StableDiffusion3FolderTest {
    @TempDir
    Path tmp;

    @Test
    void opensTheTinyFolderAndLoadsEachComponentFromBf16Shards() throws Exception {
        StableDiffusion3Folder f = StableDiffusion3Folder.open(TinySd3Folder.write(tmp.resolve("sd"), 5));
        assertEquals(3.0, f.shift());
        assertEquals("StableDiffusion3Pipeline", f.index().pipelineClass());
        assertEquals("SD3Transformer2DModel", f.index().require("transformer"));
        assertEquals(MmditConfig.fromJson(Fixtures.file("sd3-tiny/transformer_config.json")), f.transformerConfig());
        assertEquals(new PromptLayout(77, 8, 12, 256, 32, 12, 12, true), f.promptLayout(256));
        WeightSummary t = f.weightSummary("transformer");
        assertEquals(Set.of("BF16"), t.storedDtypes());
        try (NDManager m = NDManager.newBaseManager();
                MmditModel model = f.loadTransformer(TinyModels.lora(), m, DataType.FLOAT32);
                AutoencoderKL vae = f.loadVae(m, DataType.FLOAT32)) {
            Map<String, NDArray> fixture = Fixtures.tensors("sd3-tiny/transformer.safetensors", m);
            assertEquals(fixture.size(), t.tensors());
            // the stored sin-cos table pos_embed.pos_embed (16 x 16 positions of 32) is derived, not a parameter
            assertEquals(model.parameterCount() + 16 * 16 * 32, t.parameters());
            assertEquals(2 * t.parameters(), t.storedBytes());
            // bf16 on disk: every loaded weight is its fixture value rounded to bf16, exactly
            for (Map.Entry<String, NDArray> e : model.baseWeights().entrySet()) {
                float[] expected = fixture.get(e.getKey()).toFloatArray();
                for (int i = 0; i < expected.length; i++) {
                    expected[i] = HalfPrecision.bfloat16ToFloat(HalfPrecision.floatToBfloat16(expected[i]));
                }
                assertArrayEquals(expected, e.getValue().toFloatArray(), e.getKey());
            }
            assertEquals(f.weightSummary("vae").parameters(), vae.parameterCount());
        }
    }

    @Test
    void configOnlyFolderWithSd35MediumConfigsHas333By4096PromptsAnd2048Pooled() throws Exception {
        Path dir = Sd35MediumLayout.configs(tmp.resolve("sd35m"));
        StableDiffusion3Folder f = StableDiffusion3Folder.open(dir);
        PromptLayout layout = f.promptLayout(256);
        assertEquals(333, layout.sequenceLength());
        assertEquals(4096, layout.width());
        assertEquals(2048, layout.pooledWidth());
        assertEquals(768 + 1280, layout.clipLWidth() + layout.clipGWidth());
        assertEquals(MmditConfig.sd35Medium(), f.transformerConfig());
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> f.weightSummary("transformer"));
        assertTrue(e.getMessage().contains("weights of component \"transformer\""), e.getMessage());
        // Without T5 its rows are zeros of joint_attention_dim, as in diffusers
        Files.writeString(dir.resolve("model_index.json"), Files.readString(dir.resolve("model_index.json"))
                .replace("[\"transformers\", \"T5EncoderModel\"]", "[null, null]")
                .replace("[\"transformers\", \"T5TokenizerFast\"]", "[null, null]"));
        PromptLayout noT5 = StableDiffusion3Folder.open(dir).promptLayout(256);
        assertFalse(noT5.hasT5());
        assertEquals(333, noT5.sequenceLength());
        assertEquals(4096, noT5.width());
    }

    @Test
    void sd35MediumHeadersAreSummarisedWithoutReadingTheWeights() throws Exception {
        Path dir = Sd35MediumLayout.withSparseWeights(Sd35MediumLayout.configs(tmp.resolve("sd35m")));
        StableDiffusion3Folder f = StableDiffusion3Folder.open(dir);
        WeightSummary t = f.weightSummary("transformer");
        assertEquals(2_469_663_936L, t.parameters());
        assertEquals(2 * 2_469_663_936L, t.storedBytes());
        assertEquals(Set.of("BF16"), t.storedDtypes());
        assertEquals(83_819_683L, f.weightSummary("vae").parameters());
        assertEquals(java.util.List.of("transformer", "vae", "text_encoder", "text_encoder_2", "text_encoder_3"),
                f.weightedComponents());
    }

    @Test
    void aDeletedShardIsNamed() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("sd"), 5);
        Path shard = dir.resolve("transformer/diffusion_pytorch_model-00002-of-00002.safetensors");
        Files.delete(shard);
        StableDiffusion3Folder f = StableDiffusion3Folder.open(dir);
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> f.loadTransformer(TinyModels.lora(), m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("diffusion_pytorch_model-00002-of-00002.safetensors"), e.getMessage());
        }
    }

    @Test
    void aRenamedTensorIsListedAsMissingAndUnexpected() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("sd"), 5);
        Path file = dir.resolve("text_encoder_3/model.safetensors");
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> t;
            try (WeightSource w = WeightSources.open(file)) {
                t = new LinkedHashMap<>(w.readAll(m, DataType.FLOAT32));
            }
            t.put("encoder.final_layer_norm.scale", t.remove("encoder.final_layer_norm.weight"));
            SafetensorsWriter.save(file, t, Map.of());
            StableDiffusion3Folder f = StableDiffusion3Folder.open(dir);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> f.loadT5(m));
            assertTrue(e.getMessage().contains("encoder.final_layer_norm.weight"), e.getMessage());
            assertTrue(e.getMessage().contains("encoder.final_layer_norm.scale"), e.getMessage());
        }
    }

    @Test
    void aTruncatedFileIsNamed() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("sd"), 5);
        Path file = dir.resolve("vae/diffusion_pytorch_model.safetensors");
        byte[] all = Files.readAllBytes(file);
        Files.write(file, java.util.Arrays.copyOf(all, all.length - 100));
        StableDiffusion3Folder f = StableDiffusion3Folder.open(dir);
        try (NDManager m = NDManager.newBaseManager()) {
            IOException e = assertThrows(IOException.class, () -> f.loadVae(m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains(file.toString()), e.getMessage());
        }
    }

    @Test
    void missingPiecesOfTheFolderAreNamed() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("sd"), 5);
        NoSuchFileException noIndex = assertThrows(NoSuchFileException.class, () -> StableDiffusion3Folder.open(tmp));
        assertTrue(noIndex.getMessage().contains("model_index.json"), noIndex.getMessage());

        Files.delete(dir.resolve("text_encoder_2/config.json"));
        NoSuchFileException noConfig = assertThrows(NoSuchFileException.class, () -> StableDiffusion3Folder.open(dir));
        assertTrue(noConfig.getMessage().contains("component \"text_encoder_2\" has no config.json"), noConfig.getMessage());

        Files.writeString(dir.resolve("model_index.json"), "{\"_class_name\": \"StableDiffusion3Pipeline\", "
                + "\"transformer\": [\"diffusers\", \"SD3Transformer2DModel\"]}");
        IllegalArgumentException noVae = assertThrows(IllegalArgumentException.class, () -> StableDiffusion3Folder.open(dir));
        assertTrue(noVae.getMessage().contains("has no component \"scheduler\""), noVae.getMessage());
    }

    @Test
    void encodersThatDoNotFitTheTransformerAreRejectedWhenOpening() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("sd"), 5);
        Path config = dir.resolve("transformer/config.json");
        Files.writeString(config, Files.readString(config).replace("\"pooled_projection_dim\": 24", "\"pooled_projection_dim\": 20"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> StableDiffusion3Folder.open(dir));
        assertEquals("CLIP-L and CLIP-G projection dims 12 + 12 = 24 must equal the transformer's pooled_projection_dim 20",
                e.getMessage());
    }
}
