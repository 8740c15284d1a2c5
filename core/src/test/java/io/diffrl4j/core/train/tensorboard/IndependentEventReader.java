package io.diffrl4j.core.train.tensorboard;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Reads an event file without the code under test or protobuf: the TFRecord framing with both
 * masked CRC32Cs checked (CRC32C computed bit by bit here, not with java.util.zip), and the Event,
 * Summary, Value and Image messages decoded from the wire format by hand. Any field or wire type the
 * writer should not produce is an error, so the reader also checks the encoding is canonical.
 */
final class IndependentEventReader {
    /** Summary.Image. */
    record Image(int height, int width, int colorspace, byte[] png) {}

    /** Summary.Value: exactly one of simpleValue and image is set. */
    record Value(String tag, Float simpleValue, Image image) {}

    /** Event: fileVersion is set in the first event only; values is empty then. */
    record Event(double wallTime, long step, String fileVersion, List<Value> values) {}

    private static final int WIRE_VARINT = 0;
    private static final int WIRE_FIXED64 = 1;
    private static final int WIRE_LENGTH_DELIMITED = 2;
    private static final int WIRE_FIXED32 = 5;

    private IndependentEventReader() {}

    /**
     * @param file an event file
     * @return its events in order
     * @throws IOException when a record is torn, a CRC does not match, or a message is malformed
     */
    static List<Event> read(Path file) throws IOException {
        byte[] all = Files.readAllBytes(file);
        List<Event> events = new ArrayList<>();
        int pos = 0;
        while (pos < all.length) {
            int record = events.size();
            if (all.length - pos < 12) {
                throw new IOException("record " + record + ": torn header");
            }
            long length = littleEndian(all, pos, 8);
            if (mask(crc32c(all, pos, 8)) != (int) littleEndian(all, pos + 8, 4)) {
                throw new IOException("record " + record + ": length CRC mismatch");
            }
            pos += 12;
            if (length < 0 || length > all.length - pos - 4) {
                throw new IOException("record " + record + ": torn data (length " + length + ")");
            }
            int n = (int) length;
            if (mask(crc32c(all, pos, n)) != (int) littleEndian(all, pos + n, 4)) {
                throw new IOException("record " + record + ": data CRC mismatch");
            }
            events.add(event(new Wire(all, pos, pos + n)));
            pos += n + 4;
        }
        return events;
    }

    /** CRC-32C (Castagnoli): reflected polynomial 0x82F63B78, initial and final XOR all ones. */
    static int crc32c(byte[] b, int off, int len) {
        int crc = 0xffffffff;
        for (int i = off; i < off + len; i++) {
            crc ^= b[i] & 0xff;
            for (int k = 0; k < 8; k++) {
                crc = (crc & 1) != 0 ? (crc >>> 1) ^ 0x82F63B78 : crc >>> 1;
            }
        }
        return ~crc;
    }

    static int mask(int crc) {
        return Integer.rotateRight(crc, 15) + 0xa282ead8;
    }

    private static long littleEndian(byte[] b, int off, int bytes) {
        long v = 0;
        for (int i = bytes - 1; i >= 0; i--) {
            v = (v << 8) | (b[off + i] & 0xff);
        }
        return v;
    }

    private static Event event(Wire w) throws IOException {
        double wallTime = 0;
        long step = 0;
        String fileVersion = null;
        List<Value> values = new ArrayList<>();
        while (w.more()) {
            long key = w.varint();
            switch (field(key)) {
                case 1 -> wallTime = Double.longBitsToDouble(w.fixed64(key));
                case 2 -> step = w.varintField(key);
                case 3 -> fileVersion = new String(w.bytes(key), StandardCharsets.UTF_8);
                case 5 -> {
                    Wire summary = w.message(key);
                    while (summary.more()) {
                        long k = summary.varint();
                        if (field(k) != 1) {
                            throw new IOException("Summary field " + field(k));
                        }
                        values.add(value(summary.message(k)));
                    }
                }
                default -> throw new IOException("Event field " + field(key));
            }
        }
        return new Event(wallTime, step, fileVersion, values);
    }

    private static Value value(Wire w) throws IOException {
        String tag = null;
        Float simple = null;
        Image image = null;
        while (w.more()) {
            long key = w.varint();
            switch (field(key)) {
                case 1 -> tag = new String(w.bytes(key), StandardCharsets.UTF_8);
                case 2 -> simple = Float.intBitsToFloat(w.fixed32(key));
                case 4 -> image = image(w.message(key));
                default -> throw new IOException("Value field " + field(key));
            }
        }
        if ((simple == null) == (image == null)) {
            throw new IOException("Value '" + tag + "' must hold exactly one of simple_value and image");
        }
        return new Value(tag, simple, image);
    }

    private static Image image(Wire w) throws IOException {
        int height = 0;
        int width = 0;
        int colorspace = 0;
        byte[] png = null;
        while (w.more()) {
            long key = w.varint();
            switch (field(key)) {
                case 1 -> height = (int) w.varintField(key);
                case 2 -> width = (int) w.varintField(key);
                case 3 -> colorspace = (int) w.varintField(key);
                case 4 -> png = w.bytes(key);
                default -> throw new IOException("Image field " + field(key));
            }
        }
        return new Image(height, width, colorspace, png);
    }

    private static int field(long key) {
        return (int) (key >>> 3);
    }

    /** A window of bytes holding one message's fields. */
    private static final class Wire {
        private final byte[] b;
        private int pos;
        private final int end;

        Wire(byte[] b, int pos, int end) {
            this.b = b;
            this.pos = pos;
            this.end = end;
        }

        boolean more() {
            return pos < end;
        }

        long varint() throws IOException {
            long v = 0;
            for (int shift = 0; shift < 64; shift += 7) {
                if (pos >= end) {
                    throw new IOException("truncated varint");
                }
                int x = b[pos++] & 0xff;
                v |= (long) (x & 0x7f) << shift;
                if ((x & 0x80) == 0) {
                    return v;
                }
            }
            throw new IOException("varint longer than 10 bytes");
        }

        long varintField(long key) throws IOException {
            expect(key, WIRE_VARINT);
            return varint();
        }

        long fixed64(long key) throws IOException {
            expect(key, WIRE_FIXED64);
            need(8);
            long v = littleEndian(b, pos, 8);
            pos += 8;
            return v;
        }

        int fixed32(long key) throws IOException {
            expect(key, WIRE_FIXED32);
            need(4);
            int v = (int) littleEndian(b, pos, 4);
            pos += 4;
            return v;
        }

        byte[] bytes(long key) throws IOException {
            expect(key, WIRE_LENGTH_DELIMITED);
            long n = varint();
            if (n < 0 || n > end - pos) {
                throw new IOException("length " + n + " runs past the message");
            }
            byte[] out = Arrays.copyOfRange(b, pos, pos + (int) n);
            pos += (int) n;
            return out;
        }

        Wire message(long key) throws IOException {
            byte[] inner = bytes(key);
            return new Wire(inner, 0, inner.length);
        }

        private void need(int n) throws IOException {
            if (end - pos < n) {
                throw new IOException("truncated fixed-width field");
            }
        }

        private static void expect(long key, int wireType) throws IOException {
            if ((key & 7) != wireType) {
                throw new IOException("field " + (key >>> 3) + " has wire type " + (key & 7) + ", expected " + wireType);
            }
        }
    }
}
