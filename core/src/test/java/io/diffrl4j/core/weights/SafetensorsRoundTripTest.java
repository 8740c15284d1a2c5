package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class SafetensorsRoundTripTest extends ManagedTestBase {

    private static float[] randomFloats(int n, long seed) {
        Random r = new Random(seed);
        float[] out = new float[n];
        for (int i = 0; i < n; i++) {
            out[i] = (float) r.nextGaussian() * 3;
        }
        return out;
    }

    @Test
    void roundTripIsBitExactForEveryStoredType() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("transformer_blocks.0.attn.to_q.weight", m.create(randomFloats(12, 1), new Shape(3, 4)));
            tensors.put("half", m.create(randomFloats(10, 2), new Shape(2, 5)).toType(DataType.FLOAT16, false));
            tensors.put("ids", m.create(new long[] {0, -1, Long.MAX_VALUE, Long.MIN_VALUE, 42}, new Shape(5)));
            tensors.put("scalar", m.create(new float[] {7.25f}, new Shape()));
            tensors.put("f64", m.create(new double[] {Math.PI, -1e300}, new Shape(2)));
            tensors.put("i32", m.create(new int[] {Integer.MIN_VALUE, 3}, new Shape(1, 2)));
            tensors.put("i8", m.create(new byte[] {-128, 127, 0}, new Shape(3)));
            tensors.put("u8", m.create(ByteBuffer.wrap(new byte[] {(byte) 255, 1}), new Shape(2), DataType.UINT8));
            tensors.put("mask", m.create(new boolean[] {true, false, true}, new Shape(3)));
            tensors.put("empty", m.create(new float[0], new Shape(0, 3)));
            Map<String, String> meta = Map.of("format", "pt", "note", "héllo");

            Path file = dir.resolve("model.safetensors");
            SafetensorsWriter.save(file, tensors, meta);

            byte[] raw = Files.readAllBytes(file);
            long headerLen = ByteBuffer.wrap(raw).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(0, headerLen % 8, "header padded to 8 bytes");
            String header = new String(raw, 8, (int) headerLen, StandardCharsets.UTF_8);
            assertTrue(header.startsWith("{\"__metadata__\":"), header);

            try (SafetensorsReader reader = new SafetensorsReader(file)) {
                assertEquals(List.copyOf(tensors.keySet()), List.copyOf(reader.names()));
                assertEquals(meta, reader.metadata());
                assertEquals(TensorDtype.F16, reader.info("half").dtype());
                assertEquals(TensorDtype.BOOL, reader.info("mask").dtype());
                assertEquals(8 + headerLen, reader.info("transformer_blocks.0.attn.to_q.weight").offset());
                for (Map.Entry<String, NDArray> e : tensors.entrySet()) {
                    NDArray in = e.getValue();
                    NDArray out = reader.read(e.getKey(), m, in.getDataType() == DataType.FLOAT16
                            ? DataType.FLOAT16 : in.getDataType().isFloating() ? in.getDataType() : DataType.FLOAT32);
                    assertEquals(e.getKey(), out.getName());
                    assertEquals(in.getShape(), out.getShape(), e.getKey());
                    assertEquals(in.getDataType(), out.getDataType(), e.getKey());
                    assertArrayEquals(TestSupport.bytes(in), TestSupport.bytes(out), e.getKey());
                }
                // integers keep their type whatever the float target
                assertEquals(DataType.INT64, reader.read("ids", m, DataType.FLOAT16).getDataType());
                assertArrayEquals(new float[] {(float) Math.PI, Float.NEGATIVE_INFINITY},
                        reader.read("f64", m, DataType.FLOAT32).toFloatArray());
            }
        }
    }

    @Test
    void readableByDjlsOwnDecoder() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("a.weight", m.create(randomFloats(24, 3), new Shape(2, 3, 4)));
            tensors.put("a.bias", m.create(randomFloats(5, 4), new Shape(5)));
            Path file = dir.resolve("djl.safetensors");
            SafetensorsWriter.save(file, tensors, Map.of("format", "pt"));

            NDList decoded = NDList.decode(m, Files.readAllBytes(file));
            assertEquals(2, decoded.size());
            for (NDArray d : decoded) {
                NDArray expected = tensors.get(d.getName());
                assertEquals(expected.getShape(), d.getShape(), d.getName());
                assertArrayEquals(expected.toFloatArray(), d.toFloatArray(), d.getName());
            }
        }
    }

    @Test
    void floatStorageConversionOnWrite() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            float[] values = randomFloats(50, 5);
            values[0] = 70000f; // overflows fp16
            values[1] = 1e-8f;  // below the smallest fp16 subnormal half-way point: becomes 0
            Map<String, NDArray> tensors = new LinkedHashMap<>();
            tensors.put("w", m.create(values, new Shape(5, 10)));
            tensors.put("ids", m.create(new long[] {1, 2}, new Shape(2)));

            Path f16 = dir.resolve("f16.safetensors");
            new SafetensorsWriter(TensorDtype.F16, 24).write(f16, tensors, null);
            Path bf16 = dir.resolve("bf16.safetensors");
            new SafetensorsWriter(TensorDtype.BF16).write(bf16, tensors, null);

            try (SafetensorsReader r16 = new SafetensorsReader(f16);
                 SafetensorsReader rb16 = new SafetensorsReader(bf16)) {
                assertEquals(TensorDtype.F16, r16.info("w").dtype());
                assertEquals(100, r16.info("w").byteLength());
                assertEquals(TensorDtype.I64, r16.info("ids").dtype());
                assertTrue(r16.metadata().isEmpty());
                assertEquals(TensorDtype.BF16, rb16.info("w").dtype());
                float[] got16 = r16.read("w", m, DataType.FLOAT32).toFloatArray();
                float[] gotB = rb16.read("w", m, DataType.FLOAT32).toFloatArray();
                for (int i = 0; i < values.length; i++) {
                    assertEquals(HalfPrecision.halfToFloat(HalfPrecision.floatToHalf(values[i])), got16[i]);
                    assertEquals(HalfPrecision.bfloat16ToFloat(HalfPrecision.floatToBfloat16(values[i])), gotB[i]);
                }
                assertEquals(Float.POSITIVE_INFINITY, got16[0]);
                assertEquals(0f, got16[1]);
                assertEquals(70144f, gotB[0]); // 70000 = 0x4788b800 rounds up to bf16 0x4789
                assertArrayEquals(new long[] {1, 2}, r16.read("ids", m, DataType.FLOAT32).toLongArray());
            }
        }
    }

    @Test
    void rejectsBadNamesAndTargets() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            NDArray a = m.create(new float[] {1}, new Shape(1));
            Path file = dir.resolve("x.safetensors");
            assertThrows(IllegalArgumentException.class,
                    () -> SafetensorsWriter.save(file, Map.of("__metadata__", a), null));
            assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.save(file, Map.of("", a), null));
            SafetensorsWriter.save(file, Map.of("a", a), null);
            try (SafetensorsReader r = new SafetensorsReader(file)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> r.read("a", m, DataType.BFLOAT16));
                assertTrue(e.getMessage().contains("BFLOAT16"), e.getMessage());
                e = assertThrows(IllegalArgumentException.class, () -> r.read("missing", m, DataType.FLOAT32));
                assertTrue(e.getMessage().contains("missing") && e.getMessage().contains(file.toString()));
                assertTrue(r.contains("a"));
            }
        }
    }
}
