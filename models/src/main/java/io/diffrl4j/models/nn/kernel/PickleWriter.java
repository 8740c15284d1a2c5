package io.diffrl4j.models.nn.kernel;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * A minimal Python pickle (protocol 2) writer covering exactly what a parameterless TorchScript
 * archive needs: {@code None}, booleans, integers, floats, strings, tuples, lists, string-keyed
 * dicts and one "object" (GLOBAL + NEWOBJ + BUILD).
 *
 * <p>Supported Java values: {@code null}, {@link Boolean}, {@link Integer}/{@link Long}/{@link
 * Short}/{@link Byte}, {@link Double}/{@link Float}, {@link String}, {@link Tuple}, {@link List},
 * {@link Map} (insertion order is kept; keys must be strings) and {@link PyObject}. No memo is
 * written: values are never shared, so none is needed.
 */
final class PickleWriter {

    // Opcodes (Python's Lib/pickle.py names).
    private static final int PROTO = 0x80;
    private static final int STOP = '.';
    private static final int NONE = 'N';
    private static final int NEWTRUE = 0x88;
    private static final int NEWFALSE = 0x89;
    private static final int BININT = 'J';
    private static final int BININT1 = 'K';
    private static final int BININT2 = 'M';
    private static final int LONG1 = 0x8a;
    private static final int BINFLOAT = 'G';
    private static final int BINUNICODE = 'X';
    private static final int MARK = '(';
    private static final int EMPTY_TUPLE = ')';
    private static final int TUPLE = 't';
    private static final int TUPLE1 = 0x85;
    private static final int TUPLE2 = 0x86;
    private static final int TUPLE3 = 0x87;
    private static final int EMPTY_LIST = ']';
    private static final int APPENDS = 'e';
    private static final int EMPTY_DICT = '}';
    private static final int SETITEMS = 'u';
    private static final int GLOBAL = 'c';
    private static final int NEWOBJ = 0x81;
    private static final int BUILD = 'b';

    /** A Python tuple. */
    record Tuple(List<?> items) {
        Tuple {
            items = List.copyOf(items);
        }

        static Tuple of(Object... items) {
            return new Tuple(List.of(items));
        }
    }

    /**
     * An instance of a Python/TorchScript class: {@code GLOBAL module name; NEWOBJ (args);
     * BUILD state}. TorchScript's loader resolves {@code module.name} to a class from the
     * archive's code and fills its attributes from the {@code state} dict.
     */
    record PyObject(String module, String name, Tuple newArgs, Object state) {
        PyObject {
            Objects.requireNonNull(module, "module");
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(newArgs, "newArgs");
        }
    }

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();

    private PickleWriter() {}

    /**
     * Pickles one value with protocol 2.
     *
     * @param value the value (see the class documentation for the supported types)
     * @return the pickle bytes, {@code PROTO 2 ... STOP}
     */
    static byte[] dumps(Object value) {
        PickleWriter w = new PickleWriter();
        w.op(PROTO);
        w.out.write(2);
        w.write(value);
        w.op(STOP);
        return w.out.toByteArray();
    }

    private void op(int opcode) {
        out.write(opcode);
    }

    private void write(Object v) {
        if (v == null) {
            op(NONE);
        } else if (v instanceof Boolean b) {
            op(b ? NEWTRUE : NEWFALSE);
        } else if (v instanceof Integer || v instanceof Long || v instanceof Short
                || v instanceof Byte) {
            writeInt(((Number) v).longValue());
        } else if (v instanceof Double || v instanceof Float) {
            op(BINFLOAT);
            long bits = Double.doubleToLongBits(((Number) v).doubleValue());
            for (int i = 7; i >= 0; i--) { // big-endian
                out.write((int) (bits >>> (8 * i)) & 0xff);
            }
        } else if (v instanceof String s) {
            byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
            op(BINUNICODE);
            writeLe32(utf8.length);
            out.writeBytes(utf8);
        } else if (v instanceof Tuple t) {
            writeTuple(t);
        } else if (v instanceof List<?> list) {
            op(EMPTY_LIST);
            if (!list.isEmpty()) {
                op(MARK);
                for (Object item : list) {
                    write(item);
                }
                op(APPENDS);
            }
        } else if (v instanceof Map<?, ?> map) {
            op(EMPTY_DICT);
            if (!map.isEmpty()) {
                op(MARK);
                for (Map.Entry<?, ?> e : map.entrySet()) {
                    if (!(e.getKey() instanceof String)) {
                        throw new IllegalArgumentException(
                                "only string dict keys are supported, got " + e.getKey());
                    }
                    write(e.getKey());
                    write(e.getValue());
                }
                op(SETITEMS);
            }
        } else if (v instanceof PyObject o) {
            checkGlobalPart(o.module());
            checkGlobalPart(o.name());
            op(GLOBAL);
            out.writeBytes((o.module() + "\n" + o.name() + "\n").getBytes(StandardCharsets.UTF_8));
            writeTuple(o.newArgs());
            op(NEWOBJ);
            if (o.state() != null) {
                write(o.state());
                op(BUILD);
            }
        } else {
            throw new IllegalArgumentException(
                    "cannot pickle a " + v.getClass().getName() + ": " + v);
        }
    }

    private void writeTuple(Tuple t) {
        List<?> items = t.items();
        switch (items.size()) {
            case 0 -> op(EMPTY_TUPLE);
            case 1 -> {
                write(items.get(0));
                op(TUPLE1);
            }
            case 2 -> {
                write(items.get(0));
                write(items.get(1));
                op(TUPLE2);
            }
            case 3 -> {
                write(items.get(0));
                write(items.get(1));
                write(items.get(2));
                op(TUPLE3);
            }
            default -> {
                op(MARK);
                for (Object item : items) {
                    write(item);
                }
                op(TUPLE);
            }
        }
    }

    private void writeInt(long x) {
        if (x >= 0 && x <= 0xff) {
            op(BININT1);
            out.write((int) x);
        } else if (x >= 0 && x <= 0xffff) {
            op(BININT2);
            out.write((int) x & 0xff);
            out.write((int) (x >>> 8) & 0xff);
        } else if (x >= Integer.MIN_VALUE && x <= Integer.MAX_VALUE) {
            op(BININT);
            writeLe32((int) x);
        } else {
            // LONG1: little-endian two's complement, 8 bytes always suffice for a long.
            op(LONG1);
            out.write(8);
            for (int i = 0; i < 8; i++) {
                out.write((int) (x >>> (8 * i)) & 0xff);
            }
        }
    }

    private void writeLe32(int x) {
        out.write(x & 0xff);
        out.write((x >>> 8) & 0xff);
        out.write((x >>> 16) & 0xff);
        out.write((x >>> 24) & 0xff);
    }

    private static void checkGlobalPart(String s) {
        if (s.isEmpty() || s.indexOf('\n') >= 0) {
            throw new IllegalArgumentException("invalid GLOBAL name part: '" + s + "'");
        }
    }
}
