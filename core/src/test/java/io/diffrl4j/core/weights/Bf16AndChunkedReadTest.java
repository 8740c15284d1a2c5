package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.io.RandomAccessFile;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Bf16AndChunkedReadTest extends ManagedTestBase {

    /** bf16 bit patterns with their exact fp32 values and their correctly rounded fp16 bits. */
    private static final int[] BF16 = {0x3F80, 0xC000, 0x3EAB, 0x7F80, 0x0000, 0x8000,
        0x4780, 0x477F, 0x3380, 0x3300, 0x7FC0, 0xFF80};
    private static final float[] F32 = {1.0f, -2.0f, 0.333984375f, Float.POSITIVE_INFINITY, 0f, -0f,
        65536f, 65280f, 0x1p-24f, 0x1p-25f, Float.NaN, Float.NEGATIVE_INFINITY};
    private static final int[] F16 = {0x3C00, 0xC000, 0x3558, 0x7C00, 0x0000, 0x8000,
        0x7C00, 0x7BF8, 0x0001, 0x0000, 0x7E00, 0xFC00};

    private Path bf16File() throws Exception {
        String header = "{\"__metadata__\":{\"format\":\"pt\"},"
                + "\"w\":{\"dtype\":\"BF16\",\"shape\":[3,4],\"data_offsets\":[0,24]},"
                + "\"ids\":{\"dtype\":\"I32\",\"shape\":[2],\"data_offsets\":[24,32]},"
                + "\"small\":{\"dtype\":\"I16\",\"shape\":[3],\"data_offsets\":[32,38]}}";
        byte[] data = ByteBuffer.allocate(38).order(ByteOrder.LITTLE_ENDIAN)
                .put(TestSupport.shortsLe(BF16)).putInt(7).putInt(-9).put(TestSupport.shortsLe(-32768, 32767, -5))
                .array();
        Path file = dir.resolve("bf16.safetensors");
        Files.write(file, TestSupport.rawFile(header, data));
        return file;
    }

    @Test
    void handBuiltBf16LoadsToExactFp32AndRoundedFp16() throws Exception {
        Path file = bf16File();
        for (int chunk : new int[] {SafetensorsReader.DEFAULT_CHUNK_BYTES, 8, 10}) {
            try (SafetensorsReader r = new SafetensorsReader(file, chunk); NDManager m = manager.newSubManager()) {
                NDArray f32 = r.read("w", m, DataType.FLOAT32);
                assertEquals(DataType.FLOAT32, f32.getDataType());
                assertEquals(new Shape(3, 4), f32.getShape());
                float[] got = f32.toFloatArray();
                for (int i = 0; i < F32.length; i++) {
                    assertEquals(Float.floatToRawIntBits(F32[i]), Float.floatToRawIntBits(got[i]),
                            "fp32 of bf16 0x" + Integer.toHexString(BF16[i]));
                }
                NDArray f16 = r.read("w", m, DataType.FLOAT16);
                assertEquals(DataType.FLOAT16, f16.getDataType());
                short[] bits = TestSupport.halfBits(f16);
                for (int i = 0; i < F16.length; i++) {
                    assertEquals(F16[i], bits[i] & 0xffff, "fp16 of bf16 0x" + Integer.toHexString(BF16[i]));
                }
                NDArray ids = r.read("ids", m, DataType.FLOAT16);
                assertEquals(DataType.INT32, ids.getDataType());
                assertArrayEquals(new int[] {7, -9}, ids.toIntArray());
                // INT16 arrays abort the engine: i16 is widened to INT32
                NDArray small = r.read("small", m, DataType.FLOAT32);
                assertEquals(DataType.INT32, small.getDataType());
                assertArrayEquals(new int[] {-32768, 32767, -5}, small.toIntArray());
                assertEquals(Map.of("format", "pt"), r.metadata());
            }
        }
    }

    @Test
    void noSafetensorsDtypeLeadsToAnArrayTypeThatAbortsTheJvm() {
        for (TensorDtype d : new TensorDtype[] {TensorDtype.BF16, TensorDtype.I16}) {
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    d::dataType);
            assertTrue(e.getMessage().startsWith(d.safetensorsName() + " tensors"),
                    e.getMessage());
        }
        // the reverse lookup still finds the real 32-bit types
        assertEquals(TensorDtype.F32, TensorDtype.fromDataType(DataType.FLOAT32));
        assertEquals(TensorDtype.I32, TensorDtype.fromDataType(DataType.INT32));
        assertEquals(TensorDtype.F16, TensorDtype.fromDataType(DataType.FLOAT16));
    }

    @Test
    void chunkedConversionHandlesManyChunksAndAPartialLastOne() throws Exception {
        int n = 37;
        float[] values = new float[n];
        int[] bf = new int[n];
        for (int i = 0; i < n; i++) {
            values[i] = (i - 18) * 0.7431f + (i % 3 == 0 ? 1e-6f : 0f);
            bf[i] = 0x3F00 + i * 5;
        }
        String header = "{\"f\":{\"dtype\":\"F32\",\"shape\":[37],\"data_offsets\":[0,148]},"
                + "\"b\":{\"dtype\":\"BF16\",\"shape\":[37,1],\"data_offsets\":[148,222]}}";
        Path file = dir.resolve("chunks.safetensors");
        byte[] data = ByteBuffer.allocate(222).put(TestSupport.floatsLe(values)).put(TestSupport.shortsLe(bf))
                .array();
        Files.write(file, TestSupport.rawFile(header, data));
        // 24-byte chunks: 6 floats (7 chunks, last holds 1) and 12 bf16 values (4 chunks, last holds 1)
        try (SafetensorsReader r = new SafetensorsReader(file, 24); NDManager m = manager.newSubManager()) {
            short[] half = TestSupport.halfBits(r.read("f", m, DataType.FLOAT16));
            float[] wide = r.read("b", m, DataType.FLOAT32).toFloatArray();
            double[] dbl = r.read("f", m, DataType.FLOAT64).toDoubleArray();
            for (int i = 0; i < n; i++) {
                assertEquals(HalfPrecision.floatToHalf(values[i]), half[i], "element " + i);
                assertEquals(HalfPrecision.bfloat16ToFloat((short) bf[i]), wide[i], "element " + i);
                assertEquals(values[i], dbl[i], 0.0);
            }
        }
    }

    /**
     * A sparse file of about 2 GB (the file system stores only the written bytes): a tensor whose data starts
     * beyond {@link Integer#MAX_VALUE} must be found with 64-bit positions.
     */
    @Test
    void tensorBeyondTwoGigabytesIsReadWithLongOffsets() throws Exception {
        long padBytes = (1L << 31) + 3;
        String header = "{\"pad\":{\"dtype\":\"U8\",\"shape\":[" + padBytes + "],\"data_offsets\":[0," + padBytes
                + "]},\"w\":{\"dtype\":\"BF16\",\"shape\":[5],\"data_offsets\":[" + padBytes + "," + (padBytes + 10)
                + "]}}";
        byte[] head = TestSupport.rawFile(header, new byte[0]);
        Path file = dir.resolve("sparse.safetensors");
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.write(head);
            raf.seek(head.length + padBytes);
            raf.write(TestSupport.shortsLe(0x3F80, 0xC000, 0x3EAB, 0x7F80, 0x4049));
        }
        try (SafetensorsReader r = new SafetensorsReader(file, 8); NDManager m = manager.newSubManager()) {
            TensorInfo info = r.info("w");
            assertTrue(info.offset() > Integer.MAX_VALUE);
            assertEquals(head.length + padBytes, info.offset());
            assertEquals(padBytes, r.info("pad").numElements());
            assertArrayEquals(new float[] {1f, -2f, 0.333984375f, Float.POSITIVE_INFINITY, 3.140625f},
                    r.read("w", m, DataType.FLOAT32).toFloatArray());
        }
        assertTrue(new String(head, 8, head.length - 8, StandardCharsets.UTF_8).contains("\"pad\""));
    }
}
