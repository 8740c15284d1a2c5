package io.diffrl4j.rewards.geneval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;

/**
 * Hostile replies for {@link SafePickleReader}: seeded mutations and truncations of valid replies
 * of every protocol (0 to 5, written by CPython), and inputs built to exploit nesting, sharing,
 * dict keys and sheer size. Every input must end, within its time limit, in a value or an
 * {@link IOException}: never another exception, never an {@link Error}, never a hang; and the
 * heap a read allocates stays within {@link SafePickleReader#COST_PER_INPUT_BYTE} bytes per
 * input byte (plus {@link SafePickleReader#BASE_COST}).
 */
class GenevalPickleFuzzTest {
    private static final Duration PER_INPUT = Duration.ofSeconds(5);
    private static final int MAX_BYTES = 1 << 20;
    private static final SafePickleReader READER = new SafePickleReader(MAX_BYTES, "GenEval reply");
    private static final com.sun.management.ThreadMXBean THREADS =
            (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

    /** What one read did: parsed or refused, and the bytes of heap its thread allocated. */
    private record Outcome(boolean parsed, String message, long allocated) {
    }

    /** Reads one input under the time limit; fails the test on anything but a value or an IOException. */
    private static Outcome read(SafePickleReader reader, byte[] input, Duration limit) {
        return assertTimeoutPreemptively(limit, () -> {
            long before = THREADS.getCurrentThreadAllocatedBytes();
            try {
                reader.read(input);
                return new Outcome(true, null, THREADS.getCurrentThreadAllocatedBytes() - before);
            } catch (IOException e) {
                return new Outcome(false, e.getMessage(), THREADS.getCurrentThreadAllocatedBytes() - before);
            } catch (Throwable t) {
                throw new AssertionError("reading " + input.length + " bytes (starting "
                        + HexFormat.of().formatHex(input, 0, Math.min(input.length, 120)) + ") threw " + t, t);
            }
        }, () -> "reading " + input.length + " bytes (starting " + HexFormat.of().formatHex(input, 0, Math.min(input.length, 120))
                + ") took longer than " + limit.toMillis() + " ms");
    }

    /** A pickle being written opcode by opcode. */
    static final class Ops {
        private final ByteArrayOutputStream out = new ByteArrayOutputStream();

        Ops(int protocol) {
            op(0x80, protocol);
        }

        Ops op(int... bytes) {
            for (int b : bytes) {
                out.write(b);
            }
            return this;
        }

        Ops repeat(int times, int... bytes) {
            for (int i = 0; i < times; i++) {
                op(bytes);
            }
            return this;
        }

        Ops binget(int index) {
            if (index < 256) {
                return op('h', index);
            }
            return op('j', index & 0xff, index >>> 8 & 0xff, index >>> 16 & 0xff, index >>> 24);
        }

        Ops binint(int v) {
            return op('J', v & 0xff, v >>> 8 & 0xff, v >>> 16 & 0xff, v >>> 24);
        }

        Ops long8(long v) {
            op(0x8a, 8);
            for (int i = 0; i < 8; i++) {
                op((int) (v >>> (8 * i)) & 0xff);
            }
            return this;
        }

        Ops str(String s) {
            byte[] b = s.getBytes(java.nio.charset.StandardCharsets.UTF_8);
            op('X', b.length & 0xff, b.length >>> 8 & 0xff, b.length >>> 16 & 0xff, b.length >>> 24);
            out.writeBytes(b);
            return this;
        }

        /** A LONG4 of n bytes, all 0x7f: a positive int of about 8 n bits. */
        Ops hugeInt(int n) {
            op(0x8b, n & 0xff, n >>> 8 & 0xff, n >>> 16 & 0xff, n >>> 24);
            byte[] b = new byte[n];
            Arrays.fill(b, (byte) 0x7f);
            out.writeBytes(b);
            return this;
        }

        byte[] stop() {
            return op('.').out.toByteArray();
        }
    }

    /** Inputs built to exploit the parser, each with a name; all small (well under 1 MiB). */
    static List<Map.Entry<String, Supplier<byte[]>>> hostile() {
        List<Map.Entry<String, Supplier<byte[]>>> all = new ArrayList<>();
        // d[(d,)] = None: a key that holds the dict it keys
        all.add(Map.entry("self-referencing key", () -> new Ops(4).op('}', 0x94).binget(0).op(0x85, 'N', 's').stop()));
        // k = (d,); d[k] = None; d[k] = None: the second put hashes d, which holds k, which holds d
        all.add(Map.entry("self-referencing key set twice", () -> new Ops(4).op('}', 0x94).binget(0).op(0x85, 0x94, 'N', 's')
                .binget(1).op('N', 's').stop()));
        // l = []; d[(l,)] = None; l.append(d): a cycle through a key
        all.add(Map.entry("cycle through a key", () -> new Ops(4).op('}', 0x94, ']', 0x94, 0x85, 'N', 's').binget(1)
                .binget(0).op('a', '0').stop()));
        all.add(Map.entry("list key", () -> new Ops(4).op('}', ']', 'N', 's').stop()));
        all.add(Map.entry("nested tuple key 50000 deep", () -> new Ops(4).op('}', ')').repeat(50_000, 0x85).op('N', 's').stop()));
        all.add(Map.entry("nested tuple value 50000 deep", () -> new Ops(4).op(')').repeat(50_000, 0x85).stop()));
        all.add(Map.entry("nested lists 200000 deep", () -> new Ops(4).repeat(200_000, ']').repeat(199_999, 'a').stop()));
        all.add(Map.entry("nested dicts, unclosed", () -> new Ops(4).repeat(100_000, '}', 'N').stop()));
        all.add(Map.entry("shared sub-tuples (a DAG of 2^200 paths) as a key", () -> {
            Ops o = new Ops(4).op('}', 'K', 1, 0x85, 0x94, '0');
            for (int i = 0; i < 200; i++) {
                o.binget(i).binget(i).op(0x86, 0x94, '0'); // t(i+1) = (t(i), t(i))
            }
            return o.binget(200).op('N', 's').stop();
        }));
        all.add(Map.entry("shared sub-lists (a DAG of 2^200 paths) as a value", () -> {
            Ops o = new Ops(4).op(']', 0x94, '0');
            for (int i = 0; i < 200; i++) {
                o.op(']').binget(i).op('a').binget(i).op('a', 0x94, '0'); // l(i+1) = [l(i), l(i)]
            }
            return o.binget(200).stop();
        }));
        all.add(Map.entry("many empty lists", () -> new Ops(4).repeat(500_000, ']').stop()));
        all.add(Map.entry("many empty dicts", () -> new Ops(4).repeat(500_000, '}').stop()));
        all.add(Map.entry("many marks", () -> new Ops(4).repeat(500_000, '(').stop()));
        all.add(Map.entry("many empty tuples", () -> new Ops(4).repeat(500_000, ')').stop()));
        all.add(Map.entry("many memo entries", () -> new Ops(4).repeat(300_000, ']', 0x94, '0').op('N').stop()));
        all.add(Map.entry("many DUPs", () -> new Ops(4).op('N').repeat(500_000, '2').stop()));
        all.add(Map.entry("one list appended to itself", () -> new Ops(4).op(']', 0x94).repeat(200_000, 'h', 0, 'a').stop()));
        all.add(Map.entry("huge int key", () -> new Ops(4).op('}').hugeInt(500_000).op('N', 's').stop()));
        all.add(Map.entry("huge int key reused in many dicts", () -> new Ops(4).hugeInt(200_000).op(0x94)
                .repeat(100_000, '}', 'h', 0, 'N', 's', '0').stop()));
        all.add(Map.entry("tuple of one huge int, many times, as a key", () -> {
            Ops o = new Ops(4).op('}').hugeInt(100_000).op(0x94, '0', '(');
            for (int i = 0; i < 50_000; i++) {
                o.binget(0);
            }
            return o.op('t', 'N', 's').stop();
        }));
        all.add(Map.entry("huge int value", () -> new Ops(4).hugeInt(900_000).stop()));
        all.add(Map.entry("colliding str keys", () -> {
            Ops o = new Ops(4).op('}', '(');
            for (int i = 0; i < 1 << 12; i++) {
                StringBuilder sb = new StringBuilder();
                for (int bit = 0; bit < 12; bit++) {
                    sb.append((i >>> bit & 1) == 0 ? "Aa" : "BB"); // "Aa".hashCode() == "BB".hashCode()
                }
                o.str(sb.toString()).op('N');
            }
            return o.op('u').stop();
        }));
        all.add(Map.entry("colliding int keys", () -> {
            Ops o = new Ops(4).op('}', '(');
            for (long a = 1; a <= 5000; a++) {
                o.long8(a << 32 | a).op('N'); // Long.hashCode is hi ^ lo: 0 for all of them
            }
            return o.op('u').stop();
        }));
        all.add(Map.entry("colliding tuple keys", () -> {
            Ops o = new Ops(4).op('}', '(');
            for (int a = 0; a < 5000; a++) {
                o.binint(a).binint(-31 * a).op(0x86, 'N'); // List.hashCode is 961 + 31 a + b
            }
            return o.op('u').stop();
        }));
        all.add(Map.entry("colliding keys of mixed types", () -> {
            Ops o = new Ops(4).op('}', '(');
            for (int i = 0; i < 3000; i++) {
                o.binint("Aa".hashCode() + 0).op('N'); // the same key again: not a new one
                o.long8((long) i << 32 | ("Aa".hashCode() ^ i)).op('N');
            }
            return o.op('u').stop();
        }));
        all.add(Map.entry("memo read before written", () -> new Ops(4).binget(7).stop()));
        all.add(Map.entry("huge memo index", () -> new Ops(4).op('N', 'r', 0xff, 0xff, 0xff, 0xff, 'j', 0xff, 0xff, 0xff, 0xff, 0x86)
                .stop()));
        all.add(Map.entry("frame claiming 2^63 bytes", () -> new Ops(4).op(0x95, 0, 0, 0, 0, 0, 0, 0, 0x80, 'N').stop()));
        all.add(Map.entry("bytes claiming 2^64 - 1", () -> new Ops(4).op(0x8e).repeat(8, 0xff).stop()));
        return all;
    }

    @Test
    void hostileInputsEndCleanlyInBoundedTimeAndMemory() {
        double worstRatio = 0;
        String worst = "";
        for (Map.Entry<String, Supplier<byte[]>> e : hostile()) {
            byte[] input = e.getValue().get();
            assertTrue(input.length <= MAX_BYTES, e.getKey() + " is " + input.length + " bytes");
            Outcome o = read(READER, input, PER_INPUT);
            assertTrue(o.allocated() <= SafePickleReader.costBudget(input.length) + (4L << 20),
                    e.getKey() + ": allocated " + o.allocated() + " bytes for " + input.length + " input bytes");
            if (input.length >= 1 << 16 && (double) o.allocated() / input.length > worstRatio) {
                worstRatio = (double) o.allocated() / input.length;
                worst = e.getKey() + " (" + input.length + " bytes)";
            }
        }
        System.out.printf("the most heap per input byte a hostile input of 64 KiB or more cost: %.2f, for %s%n", worstRatio, worst);
    }

    @Test
    void eachKeyTrickIsRefusedWithAClearMessage() {
        Map<String, String> expected = Map.ofEntries(
                Map.entry("self-referencing key",
                        "the GenEval reply uses a tuple holding a dict as a dict key (opcode SETITEM at byte 8): refused, only str,"
                                + " bytes, int, float, bool, None and flat tuples of those are read as keys"),
                Map.entry("self-referencing key set twice",
                        "the GenEval reply uses a tuple holding a dict as a dict key (opcode SETITEM at byte 9)"),
                Map.entry("cycle through a key",
                        "the GenEval reply uses a tuple holding a list as a dict key"),
                Map.entry("list key",
                        "the GenEval reply is malformed: opcode SETITEM at byte 5 uses a list as a dict key (unhashable in Python)"),
                Map.entry("nested tuple key 50000 deep",
                        "the GenEval reply costs more than"),
                Map.entry("shared sub-tuples (a DAG of 2^200 paths) as a key",
                        "the GenEval reply uses a tuple holding a tuple as a dict key"),
                Map.entry("huge int key reused in many dicts",
                        "the GenEval reply costs more than"),
                Map.entry("tuple of one huge int, many times, as a key",
                        "the GenEval reply costs more than"),
                Map.entry("colliding str keys",
                        "the GenEval reply holds more than 8 distinct keys with one hash code in a dict"),
                Map.entry("colliding int keys",
                        "the GenEval reply holds more than 8 distinct keys with one hash code in a dict"),
                Map.entry("colliding tuple keys",
                        "the GenEval reply holds more than 8 distinct keys with one hash code in a dict"));
        for (Map.Entry<String, Supplier<byte[]>> e : hostile()) {
            if (!expected.containsKey(e.getKey())) {
                continue;
            }
            Outcome o = read(READER, e.getValue().get(), PER_INPUT);
            assertTrue(!o.parsed() && o.message().startsWith(expected.get(e.getKey())), e.getKey() + ": " + o.message());
        }
        // a value (not a key) may share sub-containers: read, and walked once per container
        Outcome dag = read(READER, hostile().stream().filter(e -> e.getKey().startsWith("shared sub-lists")).findFirst().orElseThrow()
                .getValue().get(), PER_INPUT);
        assertTrue(dag.parsed(), dag.message());
    }

    /** Valid replies of protocols 0 to 5, as CPython writes them (plus our writer's). */
    private static List<byte[]> validReplies() throws Exception {
        String out = GenevalPickleTest.python("""
                import base64, json, pickle
                TAGS = ["single_object", "two_object", "counting", "colors", "position", "color_attr"]
                reply = {
                    "scores": [1.0, 0.5, 0.0, -0.25, 1 / 3],
                    "rewards": [1.0, 0.0, 0.0, 0.0, 0.0],
                    "strict_rewards": [1.0, 1.0, 0.0, 0.0, 0.0],
                    "group_rewards": {t: [1.0 if i == 2 else -10.0 for i in range(5)] for t in TAGS},
                    "group_strict_rewards": {t: [-10.0] * 5 for t in TAGS},
                    "ints": [0, 255, 65536, -1, 2**31, 2**63, -(2**100)],
                    "misc": [None, True, False, (), (1, "a"), "\\u00e9", [[], {}]],
                    "keys": {1: "one", (1, 2): "tuple key", None: "none", 2.5: "float key"},
                }
                shared = [1, 2]
                reply["shared"] = [shared, shared]
                out = []
                for p in range(6):
                    r = dict(reply)
                    if p >= 3:
                        r["bytes"] = [b"", b"\\x00\\xff"]
                    out.append(base64.b64encode(pickle.dumps(r, protocol=p)).decode())
                print(json.dumps(out))
                """, new byte[0]);
        List<byte[]> replies = new ArrayList<>();
        for (JsonNode n : new ObjectMapper().readTree(out)) {
            replies.add(Base64.getDecoder().decode(n.asText()));
        }
        assertEquals(6, replies.size());
        replies.add(PickleWriter.toBytes(Map.of("scores", List.of(0.5, 1.0), "group_rewards", Map.of("colors", List.of(1.0)))));
        return replies;
    }

    /** Fragments spliced into valid replies: openers, references, sharing and size claims. */
    private static final byte[][] FRAGMENTS = {
        {']'}, {'}'}, {'('}, {')'}, {'2'}, {'0'}, {'1'}, {'a'}, {'e'}, {'s'}, {'u'}, {'t'}, {'l'}, {'d'}, {(byte) 0x85},
        {(byte) 0x86}, {(byte) 0x87}, {(byte) 0x94}, {'h', 0}, {'h', 1}, {'h', 2}, {'j', 0, 0, 0, 0}, {'q', 0}, {'N'},
        {'K', 7}, {(byte) 0x8b, (byte) 0xff, (byte) 0xff, 0, 0}, {(byte) 0x8e, (byte) 0xff, (byte) 0xff, (byte) 0xff, (byte) 0xff,
            (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f}, {'X', (byte) 0xff, (byte) 0xff, (byte) 0xff, 0x7f},
        {'h', 0, 'h', 0, (byte) 0x86, (byte) 0x94}, {'}', (byte) 0x94, 'h', 0, (byte) 0x85, 'N', 's'}, {'c'}, {'R'},
        {(byte) 0x93}, {(byte) 0x8f}, {(byte) 0x95, 0, 0, 0, 0, 0, 0, 0, (byte) 0x80},
    };

    @Test
    void mutationsAndTruncationsOfValidRepliesOfEveryProtocolOnlyEverFailCleanly() throws Exception {
        List<byte[]> seeds = validReplies();
        for (byte[] seed : seeds.subList(2, seeds.size())) {
            assertTrue(read(READER, seed, PER_INPUT).parsed(), "valid replies of protocols 2 to 5 are read");
        }
        SplittableRandom rng = new SplittableRandom(2026);
        int inputs = 0;
        int parsed = 0;
        long worstAllocated = 0;
        // every truncation of every seed
        for (byte[] seed : seeds) {
            for (int n = 0; n < seed.length; n += 1 + seed.length / 300) {
                Outcome o = read(READER, Arrays.copyOf(seed, n), PER_INPUT);
                inputs++;
                worstAllocated = Math.max(worstAllocated, o.allocated());
                assertTrue(!o.parsed(), "a proper prefix is never a pickle");
            }
        }
        // seeded mutations: byte flips, inserted fragments (repeated, to build up nesting and
        // sharing), deleted and duplicated ranges, and splices of two replies
        for (int trial = 0; trial < 3000; trial++) {
            byte[] input = mutate(seeds.get(rng.nextInt(seeds.size())), seeds.get(rng.nextInt(seeds.size())), rng);
            Outcome o = read(READER, input, PER_INPUT);
            inputs++;
            parsed += o.parsed() ? 1 : 0;
            worstAllocated = Math.max(worstAllocated, o.allocated());
            if (!o.parsed()) {
                assertTrue(o.message().startsWith("the GenEval reply "), o.message());
            }
        }
        assertTrue(parsed > 0, "some mutations still parse (changed payload bytes): " + parsed);
        assertTrue(worstAllocated <= SafePickleReader.BASE_COST + 24L * MAX_BYTES, "worst allocation " + worstAllocated);
        System.out.printf("fuzzed %d inputs (%d parsed), the most heap one read allocated: %d bytes%n", inputs, parsed, worstAllocated);
    }

    private static byte[] mutate(byte[] seed, byte[] other, SplittableRandom rng) {
        byte[] b = seed.clone();
        int edits = 1 + rng.nextInt(4);
        for (int k = 0; k < edits; k++) {
            int at = b.length == 0 ? 0 : rng.nextInt(b.length);
            switch (rng.nextInt(6)) {
                case 0 -> {
                    if (b.length > 0) {
                        b[at] = (byte) rng.nextInt(256);
                    }
                }
                case 1 -> {
                    byte[] f = FRAGMENTS[rng.nextInt(FRAGMENTS.length)];
                    int times = rng.nextInt(4) == 0 ? 1 + rng.nextInt(2000) : 1;
                    byte[] ins = new byte[f.length * times];
                    for (int i = 0; i < times; i++) {
                        System.arraycopy(f, 0, ins, i * f.length, f.length);
                    }
                    b = splice(b, at, 0, ins);
                }
                case 2 -> b = splice(b, at, Math.min(b.length - at, 1 + rng.nextInt(8)), new byte[0]);
                case 3 -> {
                    int len = Math.min(b.length - at, 1 + rng.nextInt(32));
                    byte[] range = Arrays.copyOfRange(b, at, at + len);
                    int times = 1 + rng.nextInt(200);
                    byte[] ins = new byte[range.length * times];
                    for (int i = 0; i < times; i++) {
                        System.arraycopy(range, 0, ins, i * range.length, range.length);
                    }
                    b = splice(b, at, 0, ins);
                }
                case 4 -> b = Arrays.copyOf(b, at);
                default -> {
                    int from = rng.nextInt(other.length);
                    b = splice(b, at, b.length - at, Arrays.copyOfRange(other, from, other.length));
                }
            }
        }
        return b.length > MAX_BYTES ? Arrays.copyOf(b, MAX_BYTES) : b;
    }

    private static byte[] splice(byte[] b, int at, int remove, byte[] insert) {
        byte[] out = new byte[b.length - remove + insert.length];
        System.arraycopy(b, 0, out, 0, at);
        System.arraycopy(insert, 0, out, at, insert.length);
        System.arraycopy(b, at + remove, out, at + insert.length, b.length - at - remove);
        return out;
    }

    @Test
    void aReplyOfEmptyContainersJustUnder64MiBIsRefusedWithinItsBudget() {
        int size = (64 << 20) - 16;
        SafePickleReader reader = new SafePickleReader(64 << 20, "GenEval reply");
        for (int opener : new int[] {']', '}', 'N'}) {
            byte[] input = new byte[size];
            Arrays.fill(input, (byte) opener);
            input[0] = (byte) 0x80;
            input[1] = 4;
            input[size - 1] = '.';
            Outcome o = read(reader, input, Duration.ofSeconds(60));
            assertTrue(!o.parsed(), "refused");
            double perByte = (double) o.allocated() / size;
            assertTrue(o.allocated() <= SafePickleReader.MAX_COST + (16L << 20),
                    (char) opener + ": allocated " + o.allocated() + " bytes, over the cap of " + SafePickleReader.MAX_COST);
            assertTrue(perByte <= 8, (char) opener + ": " + perByte + " bytes per input byte");
            System.out.printf("64 MiB of '%c': %s; allocated %d bytes (%.2f per input byte)%n", (char) opener, o.message(),
                    o.allocated(), perByte);
        }
    }

    @Test
    void aLargeDenseHonestReplyIsRead() throws IOException {
        // 1.5 million small ints and 100,000 short str keys: about 60 units of cost per input byte
        List<Integer> ints = new ArrayList<>();
        for (int i = 0; i < 1_500_000; i++) {
            ints.add(i % 200);
        }
        Map<String, Object> keys = new java.util.LinkedHashMap<>();
        for (int i = 0; i < 100_000; i++) {
            keys.put(Integer.toString(i, 36), i % 2 == 0);
        }
        byte[] pickle = PickleWriter.toBytes(Map.of("ints", ints, "keys", keys));
        Object back = assertTimeoutPreemptively(Duration.ofSeconds(20), () -> new SafePickleReader(pickle.length).read(pickle));
        assertEquals(ints, ((Map<?, ?>) back).get("ints"));
        assertEquals(keys, ((Map<?, ?>) back).get("keys"));
    }

    @Test
    void aTimeLimitStopsALongRead() {
        // 32 MiB of BININT2 (every one a boxed value) is within the cost budget but takes a while
        int size = 32 << 20;
        byte[] input = manyInts(size);
        SafePickleReader reader = new SafePickleReader(size, "GenEval reply");
        long start = System.nanoTime();
        IOException e = assertThrows(IOException.class, () -> assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> reader.read(input, Duration.ofMillis(20))));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(e.getMessage().startsWith("the GenEval reply takes longer than 20 ms to read (stopped at byte "), e.getMessage());
        assertTrue(seconds < 2, "stopped soon after the limit: " + seconds + " s");
        assertThrows(IllegalArgumentException.class, () -> reader.read(input, Duration.ZERO));
    }

    /**
     * A protocol-4 pickle of {@code size} bytes that pushes BININT2 1000 over and over: within the
     * reader's cost budget, but slow to read (every value is boxed).
     */
    static byte[] manyInts(int size) {
        byte[] input = new byte[size];
        input[0] = (byte) 0x80;
        input[1] = 4;
        for (int i = 2; i + 3 <= size - 1; i += 3) {
            input[i] = 'M';
            input[i + 1] = (byte) 0xe8;
            input[i + 2] = 0x03;
        }
        input[size - 1] = '.';
        return input;
    }
}
