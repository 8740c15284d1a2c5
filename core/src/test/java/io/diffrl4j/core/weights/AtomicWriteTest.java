package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.lang.reflect.Proxy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class AtomicWriteTest extends ManagedTestBase {

    /** An array that reports a type and shape but throws {@code failure} when its data is read. */
    private static NDArray failingArray(DataType type, Shape shape, Throwable failure) {
        return (NDArray) Proxy.newProxyInstance(NDArray.class.getClassLoader(), new Class<?>[] {NDArray.class},
                (proxy, method, args) -> {
                    switch (method.getName()) {
                        case "getDataType":
                            return type;
                        case "getShape":
                            return shape;
                        case "getName":
                            return "failing";
                        case "toByteBuffer":
                            throw failure;
                        case "toString":
                            return "failingArray";
                        case "hashCode":
                            return System.identityHashCode(proxy);
                        case "equals":
                            return proxy == args[0];
                        default:
                            throw new UnsupportedOperationException(method.getName());
                    }
                });
    }

    private List<String> listDir() throws IOException {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().collect(Collectors.toList());
        }
    }

    @Test
    void failedWritesLeaveTheExistingFileUntouched() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Path dest = dir.resolve("weights.safetensors");
            SafetensorsWriter.save(dest, Map.of("old", m.create(new float[] {1, 2, 3})), Map.of("v", "1"));
            byte[] before = Files.readAllBytes(dest);

            float[] big = new float[1 << 16];
            for (int i = 0; i < big.length; i++) {
                big[i] = i;
            }
            NDArray good = m.create(big, new Shape(256, 256));

            // 1: the data of a later tensor cannot be read, after 256 KiB of good data went to the temp file
            Map<String, NDArray> midway = new LinkedHashMap<>();
            midway.put("good", good);
            midway.put("bad", failingArray(DataType.FLOAT32, new Shape(4),
                    new IllegalStateException("simulated failure while streaming")));
            IllegalStateException e1 = assertThrows(IllegalStateException.class,
                    () -> SafetensorsWriter.save(dest, midway, null));
            assertEquals("simulated failure while streaming", e1.getMessage());
            assertArrayEquals(before, Files.readAllBytes(dest));
            assertEquals(List.of("weights.safetensors"), listDir());

            // 2: a closed array after valid ones
            NDArray closed = m.create(new float[] {4, 5});
            closed.close();
            Map<String, NDArray> withClosed = new LinkedHashMap<>();
            withClosed.put("good", good);
            withClosed.put("closed", closed);
            assertThrows(RuntimeException.class, () -> SafetensorsWriter.save(dest, withClosed, null));
            assertArrayEquals(before, Files.readAllBytes(dest));
            assertEquals(List.of("weights.safetensors"), listDir());

            // 3: an array type safetensors does not support here
            Map<String, NDArray> unsupported = new LinkedHashMap<>();
            unsupported.put("good", good);
            unsupported.put("u32", failingArray(DataType.UINT32, new Shape(2), new AssertionError("unused")));
            IllegalArgumentException e3 = assertThrows(IllegalArgumentException.class,
                    () -> SafetensorsWriter.save(dest, unsupported, null));
            assertTrue(e3.getMessage().contains("u32") && e3.getMessage().contains("UINT32"), e3.getMessage());
            Map<String, NDArray> int16 = Map.of("i16",
                    failingArray(DataType.INT16, new Shape(2), new AssertionError("must not read INT16 data")));
            assertThrows(IllegalArgumentException.class, () -> SafetensorsWriter.save(dest, int16, null));
            assertArrayEquals(before, Files.readAllBytes(dest));
            assertEquals(List.of("weights.safetensors"), listDir());

            // a successful write replaces the file and leaves nothing else behind
            SafetensorsWriter.save(dest, Map.of("good", good), null);
            assertEquals(List.of("weights.safetensors"), listDir());
            try (SafetensorsReader r = new SafetensorsReader(dest)) {
                assertEquals(List.of("good"), List.copyOf(r.names()));
                assertArrayEquals(big, r.read("good", m, DataType.FLOAT32).toFloatArray());
            }
            long headerLen = ByteBuffer.wrap(Files.readAllBytes(dest)).order(ByteOrder.LITTLE_ENDIAN).getLong(0);
            assertEquals(8 + headerLen + big.length * 4L, Files.size(dest));
        }
    }

    @Test
    void writesIntoMissingDirectories() throws Exception {
        try (NDManager m = manager.newSubManager()) {
            Path dest = dir.resolve("a/b/lora.safetensors");
            SafetensorsWriter.save(dest, Map.of("x", m.create(new float[] {1})), null);
            try (WeightSource s = WeightSources.open(dest)) {
                assertEquals(1f, s.read("x", m, DataType.FLOAT32).getFloat());
            }
        }
    }
}
