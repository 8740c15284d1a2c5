package io.diffrl4j.rewards.geneval;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Reads Python pickles (protocols 2 to 5, and the binary opcodes of protocol 1) that hold only
 * plain data, and refuses everything else. Nothing in the input is ever executed or looked up:
 * an opcode that would import a name, call or build an object, use a persistent id, the extension
 * registry or an out-of-band buffer ends the read with an {@link IOException} naming the opcode
 * and its byte offset, before anything after it is looked at.
 *
 * <table>
 * <caption>Python to Java</caption>
 * <tr><th>Python</th><th>Java</th></tr>
 * <tr><td>{@code dict}</td><td>a mutable {@code LinkedHashMap} in the pickle's order</td></tr>
 * <tr><td>{@code list}</td><td>a mutable {@code ArrayList}</td></tr>
 * <tr><td>{@code tuple}</td><td>an unmodifiable {@code List}</td></tr>
 * <tr><td>{@code str}</td><td>{@code String}</td></tr>
 * <tr><td>{@code bytes}, {@code bytearray}</td><td>{@code byte[]}</td></tr>
 * <tr><td>{@code int}</td><td>{@code Integer} when it fits, else {@code Long}, else {@code BigInteger}</td></tr>
 * <tr><td>{@code float}</td><td>{@code Double}</td></tr>
 * <tr><td>{@code bool}</td><td>{@code Boolean}</td></tr>
 * <tr><td>{@code None}</td><td>{@code null}</td></tr>
 * </table>
 *
 * <p>Protocol 0's text opcodes and sets are refused too (a GenEval message never holds them), and
 * so is Python's protocol-2 encoding of {@code bytes} (a call to {@code _codecs.encode}): a peer
 * that sends bytes must use protocol 3 or later, as Python 3 does by default.
 *
 * <p>Limits keep a hostile input from costing more than its size, and they hold while the input is
 * parsed, not only on the finished value: the input may hold at most {@link #maxBytes()} bytes;
 * reading it may cost at most {@value #COST_PER_INPUT_BYTE} units per input byte (plus
 * {@value #BASE_COST}), and never more than {@value #MAX_COST} units, where a unit is about one
 * byte of heap or one step of work (every value, container, stack slot, memo entry and dict entry
 * is charged, and so is hashing and comparing dict keys); containers may nest at most
 * {@value #MAX_DEPTH} deep and may not contain themselves. Dict keys are restricted to what
 * Python hashes cheaply and a GenEval message uses: str, bytes, int, float, bool, None and flat
 * tuples of those (a tuple key holding a container is refused), and one dict may hold at most
 * {@value #MAX_KEYS_PER_HASH} distinct keys with the same Java hash code, so that crafted hash
 * collisions cannot make building it quadratic. Nothing recurses on the input's depth. A read
 * may also be given a time limit ({@link #read(byte[], Duration)}). Truncated input, bytes after
 * STOP and malformed opcodes are errors. Immutable and thread-safe.
 */
public final class SafePickleReader {
    /** Containers nested deeper than this are refused (Python's own pickler stops near 1000). */
    public static final int MAX_DEPTH = 1000;
    /** The newest pickle protocol read. */
    public static final int HIGHEST_PROTOCOL = 5;
    /**
     * Cost units (about a byte of heap or a step of work) a read may spend per input byte: a dense
     * but honest pickle (a long list of small ints, a dict of short memoized str keys) costs up to
     * about 60 per byte in Java objects; {@link #MAX_COST} bounds large inputs.
     */
    public static final long COST_PER_INPUT_BYTE = 64;
    /** Cost units every read may spend whatever the input's size (small replies are never refused). */
    public static final long BASE_COST = 1L << 20;
    /** The most cost units any read may spend, whatever the input's size. */
    public static final long MAX_COST = 512L << 20;
    /** The most distinct keys with one Java hash code that one dict may hold. */
    public static final int MAX_KEYS_PER_HASH = 8;

    // approximate heap bytes of what the parser allocates (compressed oops), charged as cost units
    private static final long SLOT = 24; // a stack or list slot, with the copies its array's growth makes (up to 4.5 refs)
    private static final long REF = 8; // a reference in an array of exactly the right size
    private static final long LIST_COST = 96; // the list and the array of 10 its first append allocates
    private static final long DICT_COST = 96;
    private static final long TUPLE_COST = 56;
    private static final long ENTRY_COST = 48;
    private static final long MEMO_COST = 72;
    private static final long MARK_COST = 24;
    private static final long BOX_COST = 24;
    private static final long KEY_COUNT_COST = 64;
    /** Opcodes between two looks at the clock when a read has a time limit. */
    private static final int CLOCK_EVERY = 1024;

    private static final String PLAIN = "only plain data (dict, list, tuple, str, bytes, int, float, bool, None) is read";

    private final int maxBytes;
    private final String subject;

    /** @param maxBytes the largest input accepted, at least 1 */
    public SafePickleReader(int maxBytes) {
        this(maxBytes, "pickle");
    }

    /**
     * @param maxBytes the largest input accepted, at least 1
     * @param subject what the input is, for messages (e.g. "GenEval reply")
     */
    public SafePickleReader(int maxBytes, String subject) {
        if (maxBytes < 1) {
            throw new IllegalArgumentException("maxBytes must be >= 1, got " + maxBytes);
        }
        if (subject == null || subject.isBlank()) {
            throw new IllegalArgumentException("subject must be a non-blank description, got '" + subject + "'");
        }
        this.maxBytes = maxBytes;
        this.subject = subject;
    }

    /** @return the largest input accepted, in bytes */
    public int maxBytes() {
        return maxBytes;
    }

    /**
     * Reads the stream to its end, but never more than {@link #maxBytes()} + 1 bytes of it.
     *
     * @param in the pickle (not closed)
     * @return the value (see the table above); fresh, the caller owns it
     * @throws IOException when the stream fails or the pickle is too large, malformed, truncated
     *     or holds anything but plain data
     */
    public Object read(InputStream in) throws IOException {
        ByteArrayOutputStream buf = new ByteArrayOutputStream();
        byte[] chunk = new byte[8192];
        long total = 0;
        int n;
        while ((n = in.read(chunk, 0, (int) Math.min(chunk.length, (long) maxBytes + 1 - total))) > 0) {
            buf.write(chunk, 0, n);
            total += n;
            if (total > maxBytes) {
                throw tooLarge("more than " + maxBytes);
            }
        }
        return read(buf.toByteArray());
    }

    /**
     * @param data the pickle
     * @return the value (see the table above); fresh, the caller owns it
     * @throws IOException when the pickle is too large, malformed, truncated or holds anything
     *     but plain data
     */
    public Object read(byte[] data) throws IOException {
        return read(data, Long.MAX_VALUE);
    }

    /**
     * @param data the pickle
     * @param timeLimit how long the read may take, positive; the clock is looked at every
     *     {@value #CLOCK_EVERY} opcodes, so a small pickle is read whatever the limit
     * @return the value (see the table above); fresh, the caller owns it
     * @throws IOException when the pickle is too large, malformed, truncated, holds anything but
     *     plain data, or takes longer than the limit to read
     */
    public Object read(byte[] data, Duration timeLimit) throws IOException {
        if (timeLimit == null || timeLimit.isNegative() || timeLimit.isZero()) {
            throw new IllegalArgumentException("timeLimit must be positive, got " + timeLimit);
        }
        long nanos = timeLimit.compareTo(Duration.ofDays(365)) > 0 ? Long.MAX_VALUE : timeLimit.toNanos();
        return read(data, nanos);
    }

    private Object read(byte[] data, long timeLimitNanos) throws IOException {
        if (data.length > maxBytes) {
            throw tooLarge(String.valueOf(data.length));
        }
        Parser parser = new Parser(data, timeLimitNanos);
        Object value = parser.run();
        parser.checkShape(value);
        return value;
    }

    /**
     * @param inputBytes the size of an input
     * @return the most cost units a read of it may spend
     */
    public static long costBudget(long inputBytes) {
        return Math.min(MAX_COST, BASE_COST + COST_PER_INPUT_BYTE * inputBytes);
    }

    private IOException tooLarge(String size) {
        return new IOException("the " + subject + " is " + size + " bytes, over the limit of " + maxBytes + " bytes: refused");
    }

    /** Marks a tuple (immutable) apart from a list, so that it may serve as a dict key. */
    private static boolean isMutable(Object o) {
        return o instanceof ArrayList<?> || o instanceof Map<?, ?>;
    }

    private final class Parser {
        private final byte[] in;
        private int pos;
        private int opStart;
        private String opName;
        private final ArrayList<Object> stack = new ArrayList<>();
        private final ArrayList<Integer> marks = new ArrayList<>();
        private final Map<Long, Object> memo = new HashMap<>();
        /** Per dict built here, how many distinct keys it holds per key hash code. */
        private final Map<Map<?, ?>, Map<Integer, Integer>> keysPerHash = new IdentityHashMap<>();
        private final long budget;
        private final long startNanos = System.nanoTime();
        private final long timeLimitNanos;
        private long cost;
        private long steps;

        Parser(byte[] in, long timeLimitNanos) {
            this.in = in;
            this.budget = costBudget(in.length);
            this.timeLimitNanos = timeLimitNanos;
        }

        /** Spends cost units, refusing the input once its budget is gone. */
        private void charge(long units) throws IOException {
            cost += units;
            if (cost > budget) {
                throw new IOException("the " + subject + " costs more than " + budget + " units (about bytes of heap or steps of"
                        + " work) to read, the limit for " + in.length + " input bytes (" + COST_PER_INPUT_BYTE + " per byte + "
                        + BASE_COST + ", at most " + MAX_COST + "), at byte " + opStart + ": refused");
            }
        }

        /** One step of work; looks at the clock now and then. */
        private void step() throws IOException {
            if (++steps % CLOCK_EVERY == 0 && timeLimitNanos != Long.MAX_VALUE
                    && System.nanoTime() - startNanos > timeLimitNanos) {
                throw new IOException("the " + subject + " takes longer than " + (timeLimitNanos / 1_000_000)
                        + " ms to read (stopped at byte " + opStart + " of " + in.length + "): refused");
            }
        }

        Object run() throws IOException {
            while (true) {
                if (pos >= in.length) {
                    throw error("is truncated: it ends at byte " + in.length + " without a STOP opcode");
                }
                opStart = pos;
                int op = in[pos++] & 0xff;
                opName = name(op);
                step();
                charge(SLOT);
                switch (op) {
                    case 0x80 -> { // PROTO
                        int p = u8();
                        if (p > HIGHEST_PROTOCOL) {
                            throw error("uses pickle protocol " + p + "; protocols up to " + HIGHEST_PROTOCOL + " are read");
                        }
                    }
                    case 0x95 -> { // FRAME: only a read-ahead hint; check the length is sane and go on
                        long len = u64();
                        if (len > in.length - pos) {
                            throw truncated("a frame of " + len + " bytes");
                        }
                    }
                    case '.' -> { // STOP
                        Object v = pop();
                        if (!marks.isEmpty()) {
                            throw error("has a MARK that no opcode consumed");
                        }
                        if (!stack.isEmpty()) {
                            throw error("leaves " + stack.size() + " values on the stack at STOP");
                        }
                        if (pos != in.length) {
                            throw error("has " + (in.length - pos) + " bytes after its STOP opcode at byte " + opStart);
                        }
                        return v;
                    }
                    case 'N' -> push(null);
                    case 0x88 -> push(Boolean.TRUE);
                    case 0x89 -> push(Boolean.FALSE);
                    case 'K' -> push(u8());
                    case 'M' -> push(boxed(u8() | u8() << 8));
                    case 'J' -> push(boxed(s32()));
                    case 0x8a -> push(longLE(u8()));
                    case 0x8b -> push(longLE(length(s32())));
                    case 'G' -> {
                        charge(BOX_COST);
                        push(Double.longBitsToDouble(s64BigEndian()));
                    }
                    case 0x8c -> push(utf8(u8()));
                    case 'X' -> push(utf8(length(s32())));
                    case 0x8d -> push(utf8(length64(u64())));
                    case 'U' -> push(ascii(u8()));
                    case 'T' -> push(ascii(length(s32())));
                    case 'C' -> push(bytes(u8()));
                    case 'B' -> push(bytes(length(s32())));
                    case 0x8e, 0x96 -> push(bytes(length64(u64()))); // BINBYTES8, BYTEARRAY8
                    case ']' -> {
                        charge(LIST_COST);
                        push(new ArrayList<>());
                    }
                    case '}' -> {
                        charge(DICT_COST);
                        push(new LinkedHashMap<>());
                    }
                    case ')' -> push(tuple(List.of()));
                    case '(' -> {
                        charge(MARK_COST);
                        marks.add(stack.size());
                    }
                    case 'l' -> {
                        List<Object> items = popMark();
                        charge(LIST_COST + SLOT * items.size());
                        push(new ArrayList<>(items));
                    }
                    case 't' -> push(tuple(popMark()));
                    case 0x85, 0x86, 0x87 -> { // TUPLE1, TUPLE2, TUPLE3
                        int n = op - 0x84;
                        need(n);
                        charge(2 * SLOT * n);
                        List<Object> items = new ArrayList<>(stack.subList(stack.size() - n, stack.size()));
                        shrink(stack.size() - n);
                        push(tuple(items));
                    }
                    case 'd' -> {
                        List<Object> items = popMark();
                        charge(DICT_COST);
                        Map<Object, Object> m = new LinkedHashMap<>();
                        putAll(m, items);
                        push(m);
                    }
                    case 'a' -> { // APPEND
                        Object v = pop();
                        charge(SLOT);
                        list(peek()).add(v);
                    }
                    case 'e' -> { // APPENDS
                        List<Object> items = popMark();
                        charge(SLOT * items.size());
                        list(peek()).addAll(items);
                    }
                    case 's' -> { // SETITEM
                        Object v = pop();
                        Object k = pop();
                        putAll(dict(peek()), Arrays.asList(k, v));
                    }
                    case 'u' -> { // SETITEMS
                        List<Object> items = popMark();
                        putAll(dict(peek()), items);
                    }
                    case '0' -> pop(); // POP
                    case '1' -> popMark(); // POP_MARK
                    case '2' -> push(peek()); // DUP
                    case 'q' -> memoPut(u8()); // BINPUT
                    case 'r' -> memoPut(u32()); // LONG_BINPUT
                    case 0x94 -> memoPut(memo.size()); // MEMOIZE
                    case 'h' -> push(memoGet(u8())); // BINGET
                    case 'j' -> push(memoGet(u32())); // LONG_BINGET
                    default -> throw refused(op);
                }
            }
        }

        private IOException refused(int op) {
            String what = switch (op) {
                case 'c' -> "imports a global" + globalName();
                case 0x93 -> "imports a global" + stackGlobalName();
                case 'R', 'o', 'i', 0x81, 0x92 -> "pickles a call";
                case 'b' -> "pickles an object's state (a call to __setstate__)";
                case 'P', 'Q' -> "pickles a persistent id";
                case 0x82, 0x83, 0x84 -> "imports a global from the extension registry";
                case 0x97, 0x98 -> "pickles an out-of-band buffer";
                case 0x8f, 0x90, 0x91 -> "pickles a set";
                case 'I', 'L', 'F', 'S', 'V', 'g', 'p' -> "uses a protocol-0 text opcode";
                default -> null;
            };
            if (what == null) {
                return error(String.format("holds an unknown opcode 0x%02x at byte %d: refused", op, opStart));
            }
            return error(what + " (opcode " + opName + " at byte " + opStart + "): refused, " + PLAIN);
        }

        /** The module and name after a GLOBAL opcode, read as text only, for the message. */
        private String globalName() {
            int end1 = indexOf('\n', pos);
            int end2 = end1 < 0 ? -1 : indexOf('\n', end1 + 1);
            if (end2 < 0 || end2 - pos > 200) {
                return "";
            }
            return " " + new String(in, pos, end1 - pos, StandardCharsets.ISO_8859_1) + "."
                    + new String(in, end1 + 1, end2 - end1 - 1, StandardCharsets.ISO_8859_1);
        }

        private String stackGlobalName() {
            if (stack.size() >= 2 && stack.get(stack.size() - 2) instanceof String m && stack.get(stack.size() - 1) instanceof String n
                    && m.length() + n.length() < 200) {
                return " " + m + "." + n;
            }
            return "";
        }

        private int indexOf(int b, int from) {
            for (int i = from; i < in.length; i++) {
                if (in[i] == b) {
                    return i;
                }
            }
            return -1;
        }

        private IOException error(String what) {
            return new IOException("the " + subject + " " + what);
        }

        private IOException truncated(String what) {
            return error("is truncated: opcode " + opName + " at byte " + opStart + " needs " + what + " but only "
                    + (in.length - pos) + " bytes are left");
        }

        private void push(Object o) {
            stack.add(o);
        }

        private void need(int n) throws IOException {
            int floor = marks.isEmpty() ? 0 : marks.get(marks.size() - 1);
            if (stack.size() - floor < n) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " needs " + n
                        + " value(s) on the stack above the last MARK");
            }
        }

        private Object pop() throws IOException {
            need(1);
            return stack.remove(stack.size() - 1);
        }

        private Object peek() throws IOException {
            need(1);
            return stack.get(stack.size() - 1);
        }

        private void shrink(int size) {
            stack.subList(size, stack.size()).clear();
        }

        private List<Object> popMark() throws IOException {
            if (marks.isEmpty()) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " needs a MARK, and none is open");
            }
            int at = marks.remove(marks.size() - 1);
            charge(REF * (stack.size() - at)); // the copy of the items
            List<Object> items = new ArrayList<>(stack.subList(at, stack.size()));
            shrink(at);
            return items;
        }

        private void memoPut(long index) throws IOException {
            Object v = peek();
            charge(MEMO_COST);
            memo.put(index, v);
        }

        private Object memoGet(long index) throws IOException {
            if (!memo.containsKey(index)) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " reads memo entry " + index
                        + ", which was never stored");
            }
            return memo.get(index);
        }

        @SuppressWarnings("unchecked")
        private List<Object> list(Object o) throws IOException {
            if (!(o instanceof ArrayList<?>)) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " appends to " + typeName(o)
                        + ", not to a list");
            }
            return (List<Object>) o;
        }

        @SuppressWarnings("unchecked")
        private Map<Object, Object> dict(Object o) throws IOException {
            if (!(o instanceof LinkedHashMap<?, ?>)) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " sets items of " + typeName(o)
                        + ", not of a dict");
            }
            return (Map<Object, Object>) o;
        }

        private void putAll(Map<Object, Object> m, List<Object> items) throws IOException {
            if (items.size() % 2 != 0) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " has a key without a value");
            }
            for (int i = 0; i < items.size(); i += 2) {
                Object k = items.get(i);
                if (isMutable(k)) {
                    throw error("is malformed: opcode " + opName + " at byte " + opStart + " uses " + typeName(k)
                            + " as a dict key (unhashable in Python)");
                }
                // hashing a key and comparing it with the few keys of equal hash costs its size each time
                charge((MAX_KEYS_PER_HASH + 1L) * keySize(k) + ENTRY_COST);
                if (!m.containsKey(k)) {
                    Map<Integer, Integer> counts = keysPerHash.computeIfAbsent(m, x -> new HashMap<>());
                    charge(KEY_COUNT_COST);
                    int same = counts.merge(Objects.hashCode(k), 1, Integer::sum);
                    if (same > MAX_KEYS_PER_HASH) {
                        throw error("holds more than " + MAX_KEYS_PER_HASH + " distinct keys with one hash code in a dict"
                                + " (opcode " + opName + " at byte " + opStart + "; crafted hash collisions?): refused");
                    }
                }
                m.put(k, items.get(i + 1));
            }
        }

        /**
         * The work of hashing or comparing a dict key once, refusing keys that are not a scalar or
         * a flat tuple of scalars; never recurses (a tuple key may not hold a container).
         */
        private long keySize(Object k) throws IOException {
            if (k instanceof List<?> tuple) {
                long size = 1;
                for (Object e : tuple) {
                    if (e instanceof List<?> || e instanceof Map<?, ?>) {
                        throw error("uses a tuple holding " + typeName(e) + " as a dict key (opcode " + opName + " at byte "
                                + opStart + "): refused, only str, bytes, int, float, bool, None and flat tuples of those"
                                + " are read as keys");
                    }
                    size += scalarSize(e);
                }
                return size;
            }
            return scalarSize(k);
        }

        private long scalarSize(Object o) {
            if (o instanceof String s) {
                return 1 + s.length();
            }
            if (o instanceof BigInteger b) {
                return 1 + b.bitLength() / 32;
            }
            return 1; // byte[] hashes by identity, boxed numbers, bools and None in constant time
        }

        private List<Object> tuple(List<Object> items) throws IOException {
            charge(TUPLE_COST + SLOT * items.size());
            return Collections.unmodifiableList(items);
        }

        private int u8() throws IOException {
            if (pos >= in.length) {
                throw truncated("1 more byte");
            }
            return in[pos++] & 0xff;
        }

        private int s32() throws IOException {
            if (in.length - pos < 4) {
                throw truncated("4 bytes");
            }
            int v = (in[pos] & 0xff) | (in[pos + 1] & 0xff) << 8 | (in[pos + 2] & 0xff) << 16 | (in[pos + 3] & 0xff) << 24;
            pos += 4;
            return v;
        }

        private long u32() throws IOException {
            return s32() & 0xffffffffL;
        }

        private long u64() throws IOException {
            if (in.length - pos < 8) {
                throw truncated("8 bytes");
            }
            long v = 0;
            for (int i = 7; i >= 0; i--) {
                v = v << 8 | (in[pos + i] & 0xff);
            }
            pos += 8;
            return v;
        }

        private long s64BigEndian() throws IOException {
            if (in.length - pos < 8) {
                throw truncated("8 bytes");
            }
            long v = 0;
            for (int i = 0; i < 8; i++) {
                v = v << 8 | (in[pos + i] & 0xff);
            }
            pos += 8;
            return v;
        }

        private int length(int n) throws IOException {
            if (n < 0) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " has a negative length " + n);
            }
            return n;
        }

        private int length64(long n) throws IOException {
            if (n < 0 || n > in.length) { // unsigned values past 2^63 read as negative
                throw truncated(Long.toUnsignedString(n) + " bytes");
            }
            return (int) n;
        }

        private Object boxed(int v) throws IOException {
            charge(BOX_COST);
            return v;
        }

        /** Copies n bytes of the input; charged as the copy plus what is built from it (at most 3 n + a header). */
        private byte[] take(int n) throws IOException {
            if (n > in.length - pos) {
                throw truncated(n + " bytes");
            }
            charge(3L * n + BOX_COST * 2);
            byte[] b = Arrays.copyOfRange(in, pos, pos + n);
            pos += n;
            return b;
        }

        private byte[] bytes(int n) throws IOException {
            return take(n);
        }

        private String utf8(int n) throws IOException {
            byte[] b = take(n);
            try {
                // Python writes str as strict UTF-8 (surrogates escaped); anything else is corrupt
                return StandardCharsets.UTF_8.newDecoder()
                        .onMalformedInput(CodingErrorAction.REPORT)
                        .onUnmappableCharacter(CodingErrorAction.REPORT)
                        .decode(java.nio.ByteBuffer.wrap(b))
                        .toString();
            } catch (CharacterCodingException e) {
                throw error("is malformed: opcode " + opName + " at byte " + opStart + " holds text that is not UTF-8");
            }
        }

        /** Python 2 str: Python 3's pickle.loads decodes it as ASCII by default. */
        private String ascii(int n) throws IOException {
            byte[] b = take(n);
            for (byte x : b) {
                if (x < 0) {
                    throw error("is malformed: opcode " + opName + " at byte " + opStart + " holds a Python 2 str that is not ASCII");
                }
            }
            return new String(b, StandardCharsets.US_ASCII);
        }

        /** LONG1 / LONG4: little-endian two's complement. */
        private Object longLE(int n) throws IOException {
            byte[] le = take(n);
            if (n == 0) {
                return 0;
            }
            byte[] be = new byte[n];
            for (int i = 0; i < n; i++) {
                be[i] = le[n - 1 - i];
            }
            return integer(new BigInteger(be));
        }

        private Object integer(BigInteger v) {
            if (v.bitLength() < 32) {
                return v.intValue();
            }
            if (v.bitLength() < 64) {
                return v.longValue();
            }
            return v;
        }

        /**
         * Refuses a value that contains itself (only possible through the memo) or nests deeper than
         * {@link #MAX_DEPTH}, so that callers may walk, print and compare it without overflowing the
         * stack. Shared sub-values are walked once, so this is linear in the pickle's size.
         */
        void checkShape(Object root) throws IOException {
            Map<Object, Boolean> onPath = new IdentityHashMap<>();
            Map<Object, Boolean> done = new IdentityHashMap<>();
            ArrayList<Object> nodes = new ArrayList<>();
            ArrayList<Iterator<?>> children = new ArrayList<>();
            if (!isContainer(root)) {
                return;
            }
            charge(2 * MEMO_COST + SLOT * childCount(root));
            nodes.add(root);
            children.add(childrenOf(root));
            onPath.put(root, Boolean.TRUE);
            opStart = in.length;
            while (!nodes.isEmpty()) {
                step();
                Iterator<?> it = children.get(children.size() - 1);
                if (!it.hasNext()) {
                    Object finished = nodes.remove(nodes.size() - 1);
                    children.remove(children.size() - 1);
                    onPath.remove(finished);
                    done.put(finished, Boolean.TRUE);
                    continue;
                }
                Object child = it.next();
                if (!isContainer(child) || done.containsKey(child)) {
                    continue;
                }
                if (onPath.containsKey(child)) {
                    throw new IOException("the " + subject + " holds a container that contains itself: refused");
                }
                if (nodes.size() >= MAX_DEPTH) {
                    throw new IOException("the " + subject + " nests containers deeper than " + MAX_DEPTH + ": refused");
                }
                charge(2 * MEMO_COST + SLOT * childCount(child));
                nodes.add(child);
                children.add(childrenOf(child));
                onPath.put(child, Boolean.TRUE);
            }
        }
    }

    private static boolean isContainer(Object o) {
        return o instanceof List<?> || o instanceof Map<?, ?>;
    }

    private static int childCount(Object o) {
        return o instanceof Map<?, ?> m ? 2 * m.size() : ((List<?>) o).size();
    }

    private static Iterator<?> childrenOf(Object o) {
        if (o instanceof Map<?, ?> m) {
            List<Object> all = new ArrayList<>(2 * m.size());
            for (Map.Entry<?, ?> e : m.entrySet()) {
                all.add(e.getKey());
                all.add(e.getValue());
            }
            return all.iterator();
        }
        return ((List<?>) o).iterator();
    }

    /**
     * @param o a value this reader returned
     * @return the Python type it stands for, with its article ("a dict", "a tuple", "bytes",
     *     "None"), for error messages about data of the wrong type
     */
    public static String typeName(Object o) {
        if (o == null) {
            return "None";
        }
        if (o instanceof ArrayList<?>) {
            return "a list";
        }
        if (o instanceof List<?>) {
            return "a tuple";
        }
        if (o instanceof Map<?, ?>) {
            return "a dict";
        }
        if (o instanceof String) {
            return "a str";
        }
        if (o instanceof byte[]) {
            return "bytes";
        }
        if (o instanceof Boolean) {
            return "a bool";
        }
        if (o instanceof Double) {
            return "a float";
        }
        return "an int";
    }

    private static String name(int op) {
        return switch (op) {
            case '(' -> "MARK";
            case '.' -> "STOP";
            case '0' -> "POP";
            case '1' -> "POP_MARK";
            case '2' -> "DUP";
            case 'F' -> "FLOAT";
            case 'I' -> "INT";
            case 'J' -> "BININT";
            case 'K' -> "BININT1";
            case 'L' -> "LONG";
            case 'M' -> "BININT2";
            case 'N' -> "NONE";
            case 'P' -> "PERSID";
            case 'Q' -> "BINPERSID";
            case 'R' -> "REDUCE";
            case 'S' -> "STRING";
            case 'T' -> "BINSTRING";
            case 'U' -> "SHORT_BINSTRING";
            case 'V' -> "UNICODE";
            case 'X' -> "BINUNICODE";
            case 'a' -> "APPEND";
            case 'b' -> "BUILD";
            case 'c' -> "GLOBAL";
            case 'd' -> "DICT";
            case '}' -> "EMPTY_DICT";
            case 'e' -> "APPENDS";
            case 'g' -> "GET";
            case 'h' -> "BINGET";
            case 'i' -> "INST";
            case 'j' -> "LONG_BINGET";
            case 'l' -> "LIST";
            case ']' -> "EMPTY_LIST";
            case 'o' -> "OBJ";
            case 'p' -> "PUT";
            case 'q' -> "BINPUT";
            case 'r' -> "LONG_BINPUT";
            case 's' -> "SETITEM";
            case 't' -> "TUPLE";
            case ')' -> "EMPTY_TUPLE";
            case 'u' -> "SETITEMS";
            case 'G' -> "BINFLOAT";
            case 'B' -> "BINBYTES";
            case 'C' -> "SHORT_BINBYTES";
            case 0x80 -> "PROTO";
            case 0x81 -> "NEWOBJ";
            case 0x82 -> "EXT1";
            case 0x83 -> "EXT2";
            case 0x84 -> "EXT4";
            case 0x85 -> "TUPLE1";
            case 0x86 -> "TUPLE2";
            case 0x87 -> "TUPLE3";
            case 0x88 -> "NEWTRUE";
            case 0x89 -> "NEWFALSE";
            case 0x8a -> "LONG1";
            case 0x8b -> "LONG4";
            case 0x8c -> "SHORT_BINUNICODE";
            case 0x8d -> "BINUNICODE8";
            case 0x8e -> "BINBYTES8";
            case 0x8f -> "EMPTY_SET";
            case 0x90 -> "ADDITEMS";
            case 0x91 -> "FROZENSET";
            case 0x92 -> "NEWOBJ_EX";
            case 0x93 -> "STACK_GLOBAL";
            case 0x94 -> "MEMOIZE";
            case 0x95 -> "FRAME";
            case 0x96 -> "BYTEARRAY8";
            case 0x97 -> "NEXT_BUFFER";
            case 0x98 -> "READONLY_BUFFER";
            default -> String.format("0x%02x", op);
        };
    }
}
