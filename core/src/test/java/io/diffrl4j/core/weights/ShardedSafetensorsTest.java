package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class ShardedSafetensorsTest extends ManagedTestBase {

    private static final String SHARD1 = "diffusion_pytorch_model-00001-of-00002.safetensors";
    private static final String SHARD2 = "diffusion_pytorch_model-00002-of-00002.safetensors";
    private static final String INDEX = "diffusion_pytorch_model.safetensors.index.json";

    private Map<String, float[]> writeCheckpoint(NDManager m) throws IOException {
        Map<String, float[]> values = new LinkedHashMap<>();
        values.put("transformer_blocks.0.norm1.linear.weight", new float[] {1, 2, 3, 4, 5, 6});
        values.put("transformer_blocks.0.norm1.linear.bias", new float[] {-1, -2});
        values.put("proj_out.weight", new float[] {0.5f, 0.25f, 0.125f});
        Map<String, NDArray> s1 = new LinkedHashMap<>();
        s1.put("transformer_blocks.0.norm1.linear.weight", m.create(values.get(
                "transformer_blocks.0.norm1.linear.weight"), new Shape(2, 3)));
        s1.put("transformer_blocks.0.norm1.linear.bias", m.create(values.get(
                "transformer_blocks.0.norm1.linear.bias"), new Shape(2)));
        Map<String, NDArray> s2 = Map.of("proj_out.weight", m.create(values.get("proj_out.weight"), new Shape(3)));
        SafetensorsWriter.save(dir.resolve(SHARD1), s1, Map.of("format", "pt"));
        new SafetensorsWriter(TensorDtype.F16).write(dir.resolve(SHARD2), s2, null);
        Files.writeString(dir.resolve(INDEX), "{\"metadata\": {\"total_size\": 38},\n \"weight_map\": {\n"
                + "  \"transformer_blocks.0.norm1.linear.weight\": \"" + SHARD1 + "\",\n"
                + "  \"transformer_blocks.0.norm1.linear.bias\": \"" + SHARD1 + "\",\n"
                + "  \"proj_out.weight\": \"" + SHARD2 + "\"}}\n");
        return values;
    }

    private static void assertReadsAll(WeightSource source, Map<String, float[]> values, NDManager m)
            throws IOException {
        assertEquals(List.copyOf(values.keySet()), List.copyOf(source.names()));
        for (Map.Entry<String, float[]> e : values.entrySet()) {
            assertTrue(source.contains(e.getKey()));
            NDArray a = source.read(e.getKey(), m, DataType.FLOAT32);
            assertEquals(e.getKey(), a.getName());
            assertArrayEquals(e.getValue(), a.toFloatArray(), e.getKey());
        }
        Map<String, NDArray> all = source.readAll(m, DataType.FLOAT16);
        assertEquals(values.keySet(), all.keySet());
        all.values().forEach(a -> assertEquals(DataType.FLOAT16, a.getDataType()));
    }

    @Test
    void readsEveryTensorThroughIndexAndDirectory() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Map<String, float[]> values = writeCheckpoint(m);
            try (ShardedSafetensors sharded = new ShardedSafetensors(dir.resolve(INDEX))) {
                assertReadsAll(sharded, values, m);
                assertEquals(Map.of("total_size", "38"), sharded.metadata());
                assertEquals(2, sharded.shards().size());
                assertEquals(dir.resolve(SHARD2).toAbsolutePath(), sharded.shardOf("proj_out.weight"));
                TensorInfo info = sharded.info("proj_out.weight");
                assertEquals(TensorDtype.F16, info.dtype());
                assertEquals(dir.resolve(SHARD2).toAbsolutePath(), info.file().toAbsolutePath());
                assertThrows(IllegalArgumentException.class, () -> sharded.info("nope"));
            }
            try (WeightSource viaDir = WeightSources.open(dir)) {
                assertInstanceOf(ShardedSafetensors.class, viaDir);
                assertReadsAll(viaDir, values, m);
            }
            try (WeightSource viaIndex = WeightSources.open(dir.resolve(INDEX))) {
                assertReadsAll(viaIndex, values, m);
            }
            // a single-file checkpoint in the same directory takes precedence over the index
            Files.copy(dir.resolve(SHARD1), dir.resolve("diffusion_pytorch_model.safetensors"));
            try (WeightSource single = WeightSources.open(dir)) {
                assertInstanceOf(SafetensorsReader.class, single);
                assertEquals(2, single.names().size());
                assertEquals(Map.of("format", "pt"), single.metadata());
            }
        }
    }

    @Test
    void transformersStyleModelDirectory() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            SafetensorsWriter.save(dir.resolve("model.safetensors"),
                    Map.of("text_model.embeddings.position_ids", m.create(new long[] {0, 1, 2}, new Shape(1, 3))),
                    null);
            try (WeightSource s = WeightSources.open(dir)) {
                assertArrayEquals(new long[] {0, 1, 2},
                        s.read("text_model.embeddings.position_ids", m, DataType.FLOAT32).toLongArray());
            }
        }
    }

    @Test
    void clearErrors() throws Exception {
        Files.writeString(dir.resolve("notes.json"), "{}");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> WeightSources.open(dir));
        assertTrue(e.getMessage().contains("diffusion_pytorch_model.safetensors")
                && e.getMessage().contains("model.safetensors.index.json")
                && e.getMessage().contains("notes.json"), e.getMessage());

        IOException noMap = assertThrows(IOException.class, () -> new ShardedSafetensors(dir.resolve("notes.json")));
        assertTrue(noMap.getMessage().contains("weight_map") && noMap.getMessage().contains("notes.json"),
                noMap.getMessage());

        Files.writeString(dir.resolve("missing.index.json"),
                "{\"weight_map\": {\"a\": \"gone.safetensors\"}}");
        NoSuchFileException missing = assertThrows(NoSuchFileException.class,
                () -> new ShardedSafetensors(dir.resolve("missing.index.json")));
        assertTrue(missing.getMessage().contains("gone.safetensors")
                && missing.getMessage().contains("missing.index.json"), missing.getMessage());

        try (NDManager m = manager.newSubManager()) {
            SafetensorsWriter.save(dir.resolve("s.safetensors"), Map.of("a", m.create(new float[] {1})), null);
            Files.writeString(dir.resolve("wrong.index.json"),
                    "{\"weight_map\": {\"a\": \"s.safetensors\", \"b\": \"s.safetensors\"}}");
            try (ShardedSafetensors s = new ShardedSafetensors(dir.resolve("wrong.index.json"))) {
                IOException wrong = assertThrows(IOException.class, () -> s.read("a", m, DataType.FLOAT32));
                assertTrue(wrong.getMessage().contains("'b'") && wrong.getMessage().contains("s.safetensors"),
                        wrong.getMessage());
            }
        }
        assertThrows(NoSuchFileException.class, () -> WeightSources.open(dir.resolve("absent.safetensors")));
    }
}
