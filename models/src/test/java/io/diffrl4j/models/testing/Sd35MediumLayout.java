package io.diffrl4j.models.testing;

import io.diffrl4j.core.testing.Fixtures;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.text.ClipTextConfig;
import io.diffrl4j.models.text.EncoderShapes;
import io.diffrl4j.models.text.T5Config;
import io.diffrl4j.models.vae.VaeConfig;
import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * SD3.5-Medium's folder at full size without its numbers: the real {@code model_index.json} and
 * configs, and, with {@link #withSparseWeights}, checkpoints whose headers hold every real tensor
 * name and shape (bf16, the transformer and VAE from {@code sd35m_keys.json}) over sparse files
 * that take no disk space. Enough for everything that reads only configs and headers (plans,
 * name checks); reading a tensor gives zeros.
 */
public final class Sd35MediumLayout {
    private static final ObjectMapper JSON = new ObjectMapper();

    private Sd35MediumLayout() {}

    /** model_index.json and every config.json of SD3.5-Medium, no weights. */
    public static Path configs(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("model_index.json"), TinySd3Folder.MODEL_INDEX);
        write(dir, "scheduler/scheduler_config.json", "{\"num_train_timesteps\": 1000, \"shift\": 3.0}");
        write(dir, "transformer/config.json", MmditConfig.sd35Medium().toJson().toString());
        write(dir, "vae/config.json", VaeConfig.sd35Medium().toJson().toString());
        write(dir, "text_encoder/config.json", """
                {"vocab_size": 49408, "hidden_size": 768, "intermediate_size": 3072, "projection_dim": 768,
                 "num_hidden_layers": 12, "num_attention_heads": 12, "max_position_embeddings": 77,
                 "hidden_act": "quick_gelu", "layer_norm_eps": 1e-05, "eos_token_id": 2}""");
        write(dir, "text_encoder_2/config.json", """
                {"vocab_size": 49408, "hidden_size": 1280, "intermediate_size": 5120, "projection_dim": 1280,
                 "num_hidden_layers": 32, "num_attention_heads": 20, "max_position_embeddings": 77,
                 "hidden_act": "gelu", "layer_norm_eps": 1e-05, "eos_token_id": 2}""");
        write(dir, "text_encoder_3/config.json", """
                {"vocab_size": 32128, "d_model": 4096, "d_kv": 64, "d_ff": 10240, "num_layers": 24, "num_heads": 64,
                 "relative_attention_num_buckets": 32, "relative_attention_max_distance": 128,
                 "layer_norm_epsilon": 1e-06, "feed_forward_proj": "gated-gelu"}""");
        for (String t : new String[] {"tokenizer", "tokenizer_2", "tokenizer_3"}) {
            Files.createDirectories(dir.resolve(t));
        }
        return dir;
    }

    private static void write(Path dir, String relative, String text) throws IOException {
        Files.createDirectories(dir.resolve(relative).getParent());
        Files.writeString(dir.resolve(relative), text);
    }

    /**
     * @param dir a folder from {@link #configs}
     * @return {@code dir}, with header-only bf16 checkpoints for every component
     */
    public static Path withSparseWeights(Path dir) throws IOException {
        JsonNode keys = JSON.readTree(Files.readString(Fixtures.file("sd35m_keys.json")));
        sparse(dir.resolve("transformer/diffusion_pytorch_model.safetensors"), fromKeys(keys.get("transformer")));
        sparse(dir.resolve("vae/diffusion_pytorch_model.safetensors"), fromKeys(keys.get("vae")));
        sparse(dir.resolve("text_encoder/model.safetensors"),
                EncoderShapes.clipText(ClipTextConfig.fromJson(dir.resolve("text_encoder/config.json"))));
        sparse(dir.resolve("text_encoder_2/model.safetensors"),
                EncoderShapes.clipText(ClipTextConfig.fromJson(dir.resolve("text_encoder_2/config.json"))));
        sparse(dir.resolve("text_encoder_3/model.safetensors"),
                EncoderShapes.t5(T5Config.fromJson(dir.resolve("text_encoder_3/config.json"))));
        return dir;
    }

    private static Map<String, Shape> fromKeys(JsonNode keys) {
        Map<String, Shape> out = new LinkedHashMap<>();
        keys.fields().forEachRemaining(e -> {
            long[] dims = new long[e.getValue().size()];
            for (int i = 0; i < dims.length; i++) {
                dims[i] = e.getValue().get(i).asLong();
            }
            out.put(e.getKey(), new Shape(dims));
        });
        return out;
    }

    /** A safetensors header of bf16 tensors, then a hole as long as their data. */
    private static void sparse(Path file, Map<String, Shape> tensors) throws IOException {
        ObjectNode header = JSON.createObjectNode();
        header.putObject("__metadata__").put("format", "pt");
        long offset = 0;
        for (Map.Entry<String, Shape> e : tensors.entrySet()) {
            ObjectNode t = header.putObject(e.getKey());
            t.put("dtype", "BF16");
            var shape = t.putArray("shape");
            for (long d : e.getValue().getShape()) {
                shape.add(d);
            }
            long bytes = 2 * e.getValue().size();
            t.putArray("data_offsets").add(offset).add(offset + bytes);
            offset += bytes;
        }
        byte[] h = header.toString().getBytes(StandardCharsets.UTF_8);
        int padded = (h.length + 7) / 8 * 8;
        byte[] prefix = new byte[8 + padded];
        java.nio.ByteBuffer.wrap(prefix).order(java.nio.ByteOrder.LITTLE_ENDIAN).putLong(padded).put(h);
        for (int i = 8 + h.length; i < prefix.length; i++) {
            prefix[i] = ' ';
        }
        try (RandomAccessFile f = new RandomAccessFile(file.toFile(), "rw")) {
            f.write(prefix);
            f.setLength(prefix.length + offset);
        }
    }
}
