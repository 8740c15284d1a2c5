package io.diffrl4j.rewards.geneval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.OutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * Writes plain Java data as a Python pickle of protocol {@value #PROTOCOL}, the default protocol
 * of Python 3.8 to 3.13 (what Flow-GRPO's client sends), readable by {@code pickle.loads} of any
 * Python 3.4 or later.
 *
 * <table>
 * <caption>Java to Python</caption>
 * <tr><th>Java</th><th>Python</th></tr>
 * <tr><td>{@code Map} with {@code String} keys</td><td>{@code dict}, in the map's iteration order</td></tr>
 * <tr><td>{@code List}</td><td>{@code list}</td></tr>
 * <tr><td>{@code String}</td><td>{@code str} (UTF-8 on the wire)</td></tr>
 * <tr><td>{@code byte[]}</td><td>{@code bytes}</td></tr>
 * <tr><td>{@code Integer}, {@code Long}, {@code Short}, {@code Byte}, {@code BigInteger}</td><td>{@code int}</td></tr>
 * <tr><td>{@code Double}, {@code Float}</td><td>{@code float} (a Float is widened exactly)</td></tr>
 * <tr><td>{@code Boolean}</td><td>{@code bool}</td></tr>
 * <tr><td>{@code null}</td><td>{@code None}</td></tr>
 * </table>
 *
 * <p>The output holds only data opcodes (no global, no call), no memo and no frames (framing is
 * optional in protocol 4), so the same value always gives the same bytes. A value reached twice
 * is written twice; a value that contains itself, or any other type, is refused. Stateless and
 * thread-safe.
 */
public final class PickleWriter {
    /** The protocol written. */
    public static final int PROTOCOL = 4;
    /** Containers nested deeper than this are refused (Python's own pickler stops near 1000). */
    public static final int MAX_DEPTH = 1000;

    // Python's pickler groups APPENDS and SETITEMS by this many items; the reader does not care,
    // but keeping the same batches keeps the stack the reader needs small.
    private static final int BATCH = 1000;

    private PickleWriter() {}

    /**
     * @param value plain data (see the table above)
     * @return the pickle
     * @throws IllegalArgumentException naming the path of the first value that cannot be written
     */
    public static byte[] toBytes(Object value) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            write(value, out);
        } catch (IOException e) {
            throw new IllegalStateException("a byte array stream does not fail", e);
        }
        return out.toByteArray();
    }

    /**
     * @param value plain data (see the table above)
     * @param out where the pickle goes (not closed)
     * @throws IOException when the stream fails
     * @throws IllegalArgumentException naming the path of the first value that cannot be written
     *     (nothing is written then)
     */
    public static void write(Object value, OutputStream out) throws IOException {
        // Encode fully before touching the stream, so a refused value leaves no half pickle behind.
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        buf.write(0x80);
        buf.write(PROTOCOL);
        new Encoder(buf).value(value, "value", 0);
        buf.write('.');
        buf.writeTo(out);
    }

    private static final class Encoder {
        private final ByteArrayOutputStream out;
        // containers on the current path, to refuse a value that contains itself
        private final Map<Object, Boolean> open = new IdentityHashMap<>();

        Encoder(ByteArrayOutputStream out) {
            this.out = out;
        }

        void value(Object v, String path, int depth) {
            if (v == null) {
                out.write('N');
            } else if (v instanceof Boolean b) {
                out.write(b ? 0x88 : 0x89);
            } else if (v instanceof Integer || v instanceof Long || v instanceof Short || v instanceof Byte) {
                integer(((Number) v).longValue());
            } else if (v instanceof BigInteger b) {
                if (b.bitLength() < 64) {
                    integer(b.longValue());
                } else {
                    long1(b);
                }
            } else if (v instanceof Double || v instanceof Float) {
                out.write('G');
                long bits = Double.doubleToRawLongBits(((Number) v).doubleValue());
                for (int s = 56; s >= 0; s -= 8) {
                    out.write((int) (bits >>> s));
                }
            } else if (v instanceof String s) {
                byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
                if (utf8.length < 256) {
                    out.write(0x8c);
                    out.write(utf8.length);
                } else {
                    out.write('X');
                    int32(utf8.length);
                }
                out.writeBytes(utf8);
            } else if (v instanceof byte[] bytes) {
                if (bytes.length < 256) {
                    out.write('C');
                    out.write(bytes.length);
                } else {
                    out.write('B');
                    int32(bytes.length);
                }
                out.writeBytes(bytes);
            } else if (v instanceof List<?> list) {
                enter(v, path, depth);
                out.write(']');
                Iterator<?> it = list.iterator();
                int index = 0;
                while (it.hasNext()) {
                    out.write('(');
                    for (int n = 0; n < BATCH && it.hasNext(); n++, index++) {
                        value(it.next(), path + "[" + index + "]", depth + 1);
                    }
                    out.write('e');
                }
                open.remove(v);
            } else if (v instanceof Map<?, ?> map) {
                enter(v, path, depth);
                out.write('}');
                Iterator<? extends Map.Entry<?, ?>> it = new ArrayList<>(map.entrySet()).iterator();
                while (it.hasNext()) {
                    out.write('(');
                    for (int n = 0; n < BATCH && it.hasNext(); n++) {
                        Map.Entry<?, ?> e = it.next();
                        if (!(e.getKey() instanceof String key)) {
                            throw new IllegalArgumentException("cannot pickle " + path + ": dict keys must be Strings, got "
                                    + describe(e.getKey()));
                        }
                        value(key, path, depth + 1);
                        value(e.getValue(), path + "['" + key + "']", depth + 1);
                    }
                    out.write('u');
                }
                open.remove(v);
            } else {
                throw new IllegalArgumentException("cannot pickle " + path + ": " + describe(v)
                        + " is not plain data (Map, List, String, byte[], integer, floating point, Boolean, null)");
            }
        }

        private void enter(Object container, String path, int depth) {
            if (depth >= MAX_DEPTH) {
                throw new IllegalArgumentException("cannot pickle " + path + ": nested deeper than " + MAX_DEPTH);
            }
            if (open.put(container, Boolean.TRUE) != null) {
                throw new IllegalArgumentException("cannot pickle " + path + ": it contains itself");
            }
        }

        private void integer(long v) {
            if (v >= 0 && v < 0x100) {
                out.write('K');
                out.write((int) v);
            } else if (v >= 0 && v < 0x10000) {
                out.write('M');
                out.write((int) v);
                out.write((int) (v >>> 8));
            } else if (v >= Integer.MIN_VALUE && v <= Integer.MAX_VALUE) {
                out.write('J');
                int32((int) v);
            } else {
                long1(BigInteger.valueOf(v));
            }
        }

        /** LONG1: little-endian two's complement, as short as the value allows. */
        private void long1(BigInteger v) {
            byte[] be = v.toByteArray(); // big-endian, minimal, with a sign bit
            if (be.length > 255) {
                throw new IllegalArgumentException("an integer of " + v.bitLength() + " bits is too large to pickle here");
            }
            out.write(0x8a);
            out.write(be.length);
            for (int i = be.length - 1; i >= 0; i--) {
                out.write(be[i]);
            }
        }

        private void int32(int v) {
            out.write(v);
            out.write(v >>> 8);
            out.write(v >>> 16);
            out.write(v >>> 24);
        }

        private static String describe(Object v) {
            return v == null ? "null" : "a " + v.getClass().getName();
        }
    }
}
