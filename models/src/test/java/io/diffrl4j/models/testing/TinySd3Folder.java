package io.diffrl4j.models.testing;

import io.diffrl4j.core.testing.Fixtures;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.models.text.ClipTextConfig;
import io.diffrl4j.models.text.TinyClip;
import io.diffrl4j.models.text.tokenizer.TinyTokenizers;
import io.diffrl4j.core.weights.HalfPrecision;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Writes a tiny Stable Diffusion 3.5 pipeline folder in exactly the layout of
 * {@code stabilityai/stable-diffusion-3.5-medium}: {@code model_index.json}, the scheduler config,
 * the fixture transformer ({@code sd3-tiny}, dual attention, QK RMS norm) stored as bf16 in two
 * shards with their {@code .index.json}, the fixture VAE, random CLIP-L and CLIP-G text encoders
 * with projection, the fixture T5, and tokenizer folders over small vocabularies (CLIP-L padding
 * with {@code <|endoftext|>}, CLIP-G with {@code !}).
 *
 * <p>Widths fit the transformer as SD3.5-Medium's do: CLIP 8 + 12 padded to T5's 32 (the
 * transformer's joint_attention_dim), pooled 12 + 12 = 24 (its pooled_projection_dim).
 */
public final class TinySd3Folder {
    /** CLIP-L: quick_gelu, legacy eos_token_id 2 (pooled at the largest id). */
    public static final ClipTextConfig CLIP_L = new ClipTextConfig(48, 8, 12, 12, 1, 2, 77, "quick_gelu", 1e-5, 2);
    /** CLIP-G: gelu, pooled at the first end-of-text token (47). */
    public static final ClipTextConfig CLIP_G = new ClipTextConfig(48, 12, 16, 12, 1, 2, 77, "gelu", 1e-5, 47);
    /** The transformer's first shard holds tensors whose names sort before this. */
    public static final String SHARD_SPLIT = "transformer_blocks.1";

    /** SD3.5-Medium's {@code model_index.json}: every component, T5 included. */
    public static final String MODEL_INDEX = """
                {
                  "_class_name": "StableDiffusion3Pipeline",
                  "_diffusers_version": "0.31.0.dev0",
                  "scheduler": ["diffusers", "FlowMatchEulerDiscreteScheduler"],
                  "text_encoder": ["transformers", "CLIPTextModelWithProjection"],
                  "text_encoder_2": ["transformers", "CLIPTextModelWithProjection"],
                  "text_encoder_3": ["transformers", "T5EncoderModel"],
                  "tokenizer": ["transformers", "CLIPTokenizer"],
                  "tokenizer_2": ["transformers", "CLIPTokenizer"],
                  "tokenizer_3": ["transformers", "T5TokenizerFast"],
                  "transformer": ["diffusers", "SD3Transformer2DModel"],
                  "vae": ["diffusers", "AutoencoderKL"]
                }
                """;

    private static final ObjectMapper JSON = new ObjectMapper();

    private TinySd3Folder() {}

    /**
     * @param dir the folder to create
     * @param seed seeds the random CLIP weights
     * @return {@code dir}
     */
    public static Path write(Path dir, long seed) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model_index.json"), MODEL_INDEX);
        Path scheduler = Files.createDirectories(dir.resolve("scheduler"));
        Files.writeString(scheduler.resolve("scheduler_config.json"), """
                {"_class_name": "FlowMatchEulerDiscreteScheduler", "num_train_timesteps": 1000, "shift": 3.0}
                """);
        try (NDManager m = NDManager.newBaseManager()) {
            Path transformer = Files.createDirectories(dir.resolve("transformer"));
            Files.copy(Fixtures.file("sd3-tiny/transformer_config.json"), transformer.resolve("config.json"));
            writeShardedBf16(transformer, Fixtures.tensors("sd3-tiny/transformer.safetensors", m));

            Path vae = Files.createDirectories(dir.resolve("vae"));
            Files.copy(Fixtures.file("sd3-tiny/vae_config.json"), vae.resolve("config.json"));
            Files.copy(Fixtures.file("sd3-tiny/vae.safetensors"), vae.resolve("diffusion_pytorch_model.safetensors"));

            writeClip(dir.resolve("text_encoder"), CLIP_L, TinyClip.textWeights(CLIP_L, m, seed));
            writeClip(dir.resolve("text_encoder_2"), CLIP_G, TinyClip.textWeights(CLIP_G, m, seed + 1));

            Path t5 = Files.createDirectories(dir.resolve("text_encoder_3"));
            JsonNode t5Json = JSON.readTree(Files.readString(Fixtures.file("sd3-tiny/t5.json")));
            Files.writeString(t5.resolve("config.json"), t5Json.get("config").toPrettyString());
            Files.copy(Fixtures.file("sd3-tiny/t5.safetensors"), t5.resolve("model.safetensors"));
        }
        TinyTokenizers.clipL(dir.resolve("tokenizer"));
        TinyTokenizers.clipG(dir.resolve("tokenizer_2"));
        TinyTokenizers.t5(dir.resolve("tokenizer_3"), TinyTokenizers.TEMPLATE);
        return dir;
    }

    private static void writeClip(Path folder, ClipTextConfig config, Map<String, NDArray> weights) throws IOException {
        Files.createDirectories(folder);
        Files.writeString(folder.resolve("config.json"), TinyClip.textConfig(config).toPrettyString());
        SafetensorsWriter.save(folder.resolve("model.safetensors"), weights, Map.of("format", "pt"));
    }

    /**
     * Writes {@code tensors} as bf16 into {@code diffusion_pytorch_model-0000{1,2}-of-00002.safetensors}
     * and the {@code weight_map} index, as diffusers saves a large transformer.
     */
    static void writeShardedBf16(Path folder, Map<String, NDArray> tensors) throws IOException {
        List<Map<String, NDArray>> shards = List.of(new LinkedHashMap<>(), new LinkedHashMap<>());
        tensors.forEach((k, v) -> shards.get(k.compareTo(SHARD_SPLIT) < 0 ? 0 : 1).put(k, v));
        ObjectNode index = JSON.createObjectNode();
        index.putObject("metadata").put("total_size", 2L * tensors.values().stream().mapToLong(a -> a.getShape().size()).sum());
        ObjectNode map = index.putObject("weight_map");
        for (int s = 0; s < 2; s++) {
            String name = String.format("diffusion_pytorch_model-%05d-of-00002.safetensors", s + 1);
            writeBf16(folder.resolve(name), shards.get(s));
            shards.get(s).keySet().forEach(k -> map.put(k, name));
        }
        Files.writeString(folder.resolve("diffusion_pytorch_model.safetensors.index.json"), index.toPrettyString());
    }

    /** A safetensors file of bf16 tensors (DJL cannot hold bf16 arrays, so the bytes are written here). */
    public static void writeBf16(Path file, Map<String, NDArray> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        ByteArrayOutputStream data = new ByteArrayOutputStream();
        for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
            float[] v = e.getValue().toType(DataType.FLOAT32, false).toFloatArray();
            ByteBuffer b = ByteBuffer.allocate(v.length * 2).order(ByteOrder.LITTLE_ENDIAN);
            for (float f : v) {
                b.putShort(HalfPrecision.floatToBfloat16(f));
            }
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "BF16");
            var shape = t.putArray("shape");
            for (long d : e.getValue().getShape().getShape()) {
                shape.add(d);
            }
            t.putArray("data_offsets").add(data.size()).add(data.size() + v.length * 2L);
            data.write(b.array());
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        ByteBuffer out = ByteBuffer.allocate(8 + padded + data.size()).order(ByteOrder.LITTLE_ENDIAN);
        out.putLong(padded).put(h);
        for (int i = h.length; i < padded; i++) {
            out.put((byte) ' ');
        }
        out.put(data.toByteArray());
        Files.write(file, out.array());
    }
}
