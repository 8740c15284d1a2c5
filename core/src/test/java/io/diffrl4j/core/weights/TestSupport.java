package io.diffrl4j.core.weights;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.testing.Fixtures;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/** Builds safetensors bytes by hand, independently of {@link SafetensorsWriter}, and locates the fixtures. */
final class TestSupport {

    private TestSupport() {
    }

    /** Length prefix + the given header (padded with spaces to 8 bytes) + data. */
    static byte[] rawFile(String headerJson, byte[] data) {
        byte[] json = headerJson.getBytes(StandardCharsets.UTF_8);
        int padded = (json.length + 7) & ~7;
        ByteBuffer b = ByteBuffer.allocate(8 + padded + data.length).order(ByteOrder.LITTLE_ENDIAN);
        b.putLong(padded).put(json);
        for (int i = json.length; i < padded; i++) {
            b.put((byte) ' ');
        }
        b.put(data);
        return b.array();
    }

    static byte[] shortsLe(int... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 2).order(ByteOrder.LITTLE_ENDIAN);
        for (int v : values) {
            b.putShort((short) v);
        }
        return b.array();
    }

    static byte[] floatsLe(float... values) {
        ByteBuffer b = ByteBuffer.allocate(values.length * 4).order(ByteOrder.LITTLE_ENDIAN);
        for (float v : values) {
            b.putFloat(v);
        }
        return b.array();
    }

    /** Raw 16-bit patterns of an FP16 array. */
    static short[] halfBits(NDArray a) {
        ByteBuffer b = a.toByteBuffer().order(ByteOrder.LITTLE_ENDIAN);
        short[] out = new short[b.remaining() / 2];
        for (int i = 0; i < out.length; i++) {
            out[i] = b.getShort(i * 2);
        }
        return out;
    }

    static byte[] bytes(NDArray a) {
        ByteBuffer b = a.toByteBuffer();
        byte[] out = new byte[b.remaining()];
        b.get(out);
        return out;
    }

    /** The reference fixtures folder (core's test resources); fails (never skips) when absent. */
    static Path fixtures() {
        return Fixtures.dir();
    }
}
