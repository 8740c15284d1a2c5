package io.diffrl4j.rewards.geneval;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * The pickle halves of the GenEval wire protocol: our writer and reader agree with each other and
 * with CPython's own pickle module (python3 from PATH, standard library only), and the reader
 * refuses everything but plain data.
 */
class GenevalPickleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Python's side of the canonical form both sides print: exact and type-tagged. */
    private static final String CANON_PY = """
            import base64, json, pickle, struct, sys
            def canon(o):
                if o is None: return ["None"]
                if isinstance(o, bool): return ["bool", o]
                if isinstance(o, int): return ["int", str(o)]
                if isinstance(o, float): return ["float", struct.pack(">d", o).hex()]
                if isinstance(o, str): return ["str", o]
                if isinstance(o, (bytes, bytearray)): return ["bytes", bytes(o).hex()]
                if isinstance(o, (list, tuple)): return ["list", [canon(x) for x in o]]
                if isinstance(o, dict): return ["dict", [[canon(k), canon(v)] for k, v in o.items()]]
                raise TypeError("not plain data: %r" % type(o))
            """;

    /** The same canonical form on the Java side. */
    private static Object canon(Object o) {
        if (o == null) {
            return List.of("None");
        }
        if (o instanceof Boolean b) {
            return List.of("bool", b);
        }
        if (o instanceof Integer || o instanceof Long || o instanceof BigInteger || o instanceof Short || o instanceof Byte) {
            return List.of("int", o.toString());
        }
        if (o instanceof Double || o instanceof Float) {
            return List.of("float", String.format("%016x", Double.doubleToRawLongBits(((Number) o).doubleValue())));
        }
        if (o instanceof String s) {
            return List.of("str", s);
        }
        if (o instanceof byte[] b) {
            return List.of("bytes", HexFormat.of().formatHex(b));
        }
        if (o instanceof List<?> l) {
            List<Object> items = new ArrayList<>();
            l.forEach(x -> items.add(canon(x)));
            return List.of("list", items);
        }
        if (o instanceof Map<?, ?> m) {
            List<Object> items = new ArrayList<>();
            m.forEach((k, v) -> items.add(List.of(canon(k), canon(v))));
            return List.of("dict", items);
        }
        throw new AssertionError("not plain data: " + o.getClass());
    }

    /** Runs a python3 script; a missing python3 fails the test (it is the reference for the format). */
    static String python(String script, byte[] stdin, String... args) throws Exception {
        List<String> cmd = new ArrayList<>(List.of("python3", "-c", script));
        cmd.addAll(Arrays.asList(args));
        Process p;
        try {
            p = new ProcessBuilder(cmd).start();
        } catch (IOException e) {
            fail("python3 is not on the PATH (" + e.getMessage() + "): these tests check the GenEval wire format against "
                    + "CPython's own pickle module and need python3 with its standard library only");
            throw e;
        }
        try (var in = p.getOutputStream()) {
            in.write(stdin);
        }
        byte[] out = p.getInputStream().readAllBytes();
        byte[] err = p.getErrorStream().readAllBytes();
        assertTrue(p.waitFor(60, TimeUnit.SECONDS), "python3 did not finish");
        assertEquals(0, p.exitValue(), () -> "python3 failed:\n" + new String(err, StandardCharsets.UTF_8));
        return new String(out, StandardCharsets.UTF_8);
    }

    private static Map<String, Object> map(Object... kv) {
        Map<String, Object> m = new LinkedHashMap<>();
        for (int i = 0; i < kv.length; i += 2) {
            m.put((String) kv[i], kv[i + 1]);
        }
        return m;
    }

    /** Every plain type, with the edge values of each encoding. */
    private static Map<String, Object> zoo() {
        byte[] big = new byte[70_000];
        for (int i = 0; i < big.length; i++) {
            big[i] = (byte) (i * 31);
        }
        List<Object> nulls = new ArrayList<>();
        nulls.add(null);
        nulls.add(Boolean.TRUE);
        nulls.add(Boolean.FALSE);
        List<Object> longList = new ArrayList<>();
        for (int i = 0; i < 2500; i++) {
            longList.add(i);
        }
        return map(
                "ints", List.of(0, 1, 255, 256, 65535, 65536, -1, -129, Integer.MAX_VALUE, Integer.MIN_VALUE, 1L << 31,
                        Long.MAX_VALUE, Long.MIN_VALUE, BigInteger.ONE.shiftLeft(64), BigInteger.ONE.shiftLeft(100).negate(),
                        (short) -7, (byte) 9),
                "floats", List.of(0.0, -0.0, 1e-300, Double.MIN_VALUE, Double.MAX_VALUE, Double.POSITIVE_INFINITY,
                        Double.NEGATIVE_INFINITY, Double.NaN, 0.1, 1.1f),
                "text", List.of("", "a", "\u00e9\u6f22\u5b57\ud83d\ude42", "x".repeat(300), "y".repeat(70_000)),
                "bytes", List.of(new byte[0], new byte[] {0, -1}, big),
                "constants", nulls,
                "nested", map("a", map("b", List.of(List.of(), map(), List.of(List.of())))),
                "long list", longList,
                "empty", map());
    }

    @Test
    void roundTripsEveryPlainType() throws IOException {
        Map<String, Object> zoo = zoo();
        Object back = new SafePickleReader(1 << 20).read(PickleWriter.toBytes(zoo));
        assertEquals(JSON.valueToTree(canon(zoo)), JSON.valueToTree(canon(back)));
        @SuppressWarnings("unchecked")
        Map<String, Object> m = (Map<String, Object>) back;
        assertEquals(List.copyOf(zoo.keySet()), List.copyOf(m.keySet()), "dict order kept");
        List<?> ints = (List<?>) m.get("ints");
        assertEquals(Integer.valueOf(255), ints.get(2));
        assertEquals(Integer.valueOf(Integer.MIN_VALUE), ints.get(9));
        assertEquals(Long.valueOf(1L << 31), ints.get(10));
        assertEquals(Long.valueOf(Long.MIN_VALUE), ints.get(12));
        assertEquals(BigInteger.ONE.shiftLeft(100).negate(), ints.get(14));
        List<?> floats = (List<?>) m.get("floats");
        assertEquals(Double.doubleToRawLongBits(-0.0), Double.doubleToRawLongBits((Double) floats.get(1)));
        assertTrue(Double.isNaN((Double) floats.get(7)));
        assertEquals((double) 1.1f, (Double) floats.get(9), 0.0);
        assertEquals("\u00e9\u6f22\u5b57\ud83d\ude42", ((List<?>) m.get("text")).get(2));
        assertArrayEquals((byte[]) ((List<?>) zoo.get("bytes")).get(2), (byte[]) ((List<?>) m.get("bytes")).get(2));
        assertNull(((List<?>) m.get("constants")).get(0));
        assertEquals(2500, ((List<?>) m.get("long list")).size());
        // one value, one encoding: the writer is deterministic
        assertArrayEquals(PickleWriter.toBytes(zoo), PickleWriter.toBytes(zoo()));
    }

    @Test
    void writesTheSmallestEncodingOfEachScalar() {
        // PROTO 4, opcode, payload, STOP: the bytes CPython's pickletools documents for each opcode
        assertEquals("80044e2e", hex(PickleWriter.toBytes(null)));
        assertEquals("8004882e", hex(PickleWriter.toBytes(true)));
        assertEquals("8004892e", hex(PickleWriter.toBytes(false)));
        assertEquals("80044bff2e", hex(PickleWriter.toBytes(255)));
        assertEquals("80044d00012e", hex(PickleWriter.toBytes(256)));
        assertEquals("80044affffffff2e", hex(PickleWriter.toBytes(-1)));
        assertEquals("80048a06000000008000" + "2e", hex(PickleWriter.toBytes(1L << 39)));
        assertEquals("800447bff00000000000002e", hex(PickleWriter.toBytes(-1.0)));
        assertEquals("80048c0268692e", hex(PickleWriter.toBytes("hi")));
        assertEquals("8004430200ff2e", hex(PickleWriter.toBytes(new byte[] {0, -1})));
        assertEquals("80045d284b014b02652e", hex(PickleWriter.toBytes(List.of(1, 2))));
        assertEquals("80047d288c01614b01752e", hex(PickleWriter.toBytes(map("a", 1))));
        assertEquals("80045d2e", hex(PickleWriter.toBytes(List.of())));
    }

    private static String hex(byte[] b) {
        return HexFormat.of().formatHex(b);
    }

    @Test
    void writerRefusesWhatIsNotPlainData() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> PickleWriter.toBytes(map("meta_datas", List.of(map("when", new Object())))));
        assertTrue(e.getMessage().contains("value['meta_datas'][0]['when']"), e.getMessage());
        assertTrue(e.getMessage().contains("java.lang.Object"), e.getMessage());
        Map<Object, Object> intKeys = new LinkedHashMap<>();
        intKeys.put(1, "one");
        e = assertThrows(IllegalArgumentException.class, () -> PickleWriter.toBytes(intKeys));
        assertTrue(e.getMessage().contains("dict keys must be Strings"), e.getMessage());
        List<Object> self = new ArrayList<>();
        self.add(self);
        e = assertThrows(IllegalArgumentException.class, () -> PickleWriter.toBytes(self));
        assertTrue(e.getMessage().contains("contains itself"), e.getMessage());
        // a value reached twice is fine (written twice)
        List<Integer> shared = List.of(7);
        assertDoesNotThrowIo(() -> assertEquals(List.of(List.of(7), List.of(7)),
                new SafePickleReader(100).read(PickleWriter.toBytes(List.of(shared, shared)))));
    }

    private interface IoRunnable {
        void run() throws IOException;
    }

    private static void assertDoesNotThrowIo(IoRunnable r) {
        try {
            r.run();
        } catch (IOException e) {
            throw new AssertionError(e);
        }
    }

    @Test
    void pythonReadsOurRequest() throws Exception {
        byte[] jpegLike = {(byte) 0xff, (byte) 0xd8, (byte) 0xff, (byte) 0xe0, 0, 16, 'J', 'F', 'I', 'F', 0};
        Map<String, Object> request = map(
                "images", List.of(jpegLike, new byte[300]),
                "meta_datas", List.of(
                        map("tag", "position", "prompt", "a photo of a circle left of a square",
                                "include", List.of(map("class", "square", "count", 1),
                                        map("class", "circle", "count", 1, "position", List.of("left of", 0))),
                                "exclude", List.of()),
                        map("tag", "counting", "prompt", "a photo of three triangles",
                                "include", List.of(map("class", "triangle", "count", 3)),
                                "exclude", List.of(map("class", "triangle", "count", 4)))),
                "only_strict", false,
                "zoo", zoo());
        String out = python(CANON_PY + """
                obj = pickle.loads(sys.stdin.buffer.read())
                assert type(obj["images"][0]) is bytes and type(obj["only_strict"]) is bool
                assert obj["meta_datas"][0]["include"][1]["position"] == ["left of", 0]
                print(json.dumps(canon(obj)))
                """, PickleWriter.toBytes(request));
        assertEquals(JSON.valueToTree(canon(request)), JSON.readTree(out));
    }

    @Test
    void weReadPythonRepliesOfProtocols2To5() throws Exception {
        String out = python(CANON_PY + """
                TAGS = ["single_object", "two_object", "counting", "colors", "position", "color_attr"]
                result = {}
                for p in (2, 3, 4, 5):
                    scores = [1.0, 0.5, 0.0, -0.25, 1 / 3]
                    shared = [1, 2]
                    reply = {
                        "scores": scores,
                        "rewards": [1.0, 0.0, 0.0, 0.0, 0.0],
                        "strict_rewards": [1.0, 1.0, 0.0, 0.0, 0.0],
                        "group_rewards": {t: [1.0 if i == 2 else -10.0 for i in range(5)] for t in TAGS},
                        "group_strict_rewards": {t: [-10.0] * 5 for t in TAGS},
                        "ints": [0, 1, 255, 256, 65535, 65536, -1, -129, 2**31 - 1, -2**31, 2**31, 2**63 - 1, -2**63,
                                 2**64, -(2**100), 10**40],
                        "floats": [0.0, -0.0, 1e-300, 5e-324, 1e308, float("inf"), float("-inf"), float("nan"), 0.1],
                        "text": ["", "a", "\\u00e9\\u6f22\\u5b57\\U0001F642", "x" * 300, "y" * 70000],
                        "constants": [None, True, False],
                        "tuples": [(), (1,), (1, 2), (1, 2, 3), (1, 2, 3, 4)],
                        "nested": {"a": {"b": [[], {}, [[]]]}},
                        "shared": [shared, shared],
                        "long list": list(range(2500)),
                        "other keys": {1: "one", (1, 2): "tuple key", None: "none", 2.5: "float key"},
                    }
                    if p >= 3:
                        reply["bytes"] = [b"", b"\\x00\\xff", bytes(range(256)) * 400]
                    if p >= 5:
                        reply["bytearray"] = bytearray(b"abc")
                    result[str(p)] = {"pickle": base64.b64encode(pickle.dumps(reply, protocol=p)).decode(),
                                      "canon": canon(reply)}
                print(json.dumps(result))
                """, new byte[0]);
        JsonNode all = JSON.readTree(out);
        SafePickleReader reader = new SafePickleReader(1 << 20, "GenEval reply");
        for (String p : List.of("2", "3", "4", "5")) {
            byte[] pickle = Base64.getDecoder().decode(all.get(p).get("pickle").asText());
            assertEquals(Integer.parseInt(p), pickle[1], "protocol byte");
            Object back = reader.read(pickle);
            assertEquals(all.get(p).get("canon"), JSON.valueToTree(canon(back)), "protocol " + p);
            Map<?, ?> m = (Map<?, ?>) back;
            assertEquals(List.of(1.0, 0.5, 0.0, -0.25, 1 / 3.0), m.get("scores"));
            List<?> shared = (List<?>) m.get("shared");
            assertSame(shared.get(0), shared.get(1), "the memo shares one list, as in Python");
            List<?> tuple = (List<?>) ((List<?>) m.get("tuples")).get(1);
            assertThrows(UnsupportedOperationException.class, () -> tuple.add(null), "tuples are read-only");
            assertEquals("tuple key", ((Map<?, ?>) m.get("other keys")).get(List.of(1, 2)));
        }
    }

    @Test
    void refusesAPickledCallAndRunsNothing(@TempDir Path dir) throws Exception {
        Path marker = dir.resolve("pwned");
        String out = python("""
                import base64, json, os, pickle, sys
                class Evil:
                    def __reduce__(self):
                        return (os.system, ("touch " + sys.argv[1],))
                out = {str(p): base64.b64encode(pickle.dumps(Evil(), protocol=p)).decode() for p in range(6)}
                out["in a reply"] = base64.b64encode(pickle.dumps({"scores": [0.5, Evil()]})).decode()
                print(json.dumps(out))
                """, new byte[0], marker.toString());
        JsonNode all = JSON.readTree(out);
        SafePickleReader reader = new SafePickleReader(1 << 20, "GenEval reply");
        for (String key : List.of("0", "1", "2", "3", "4", "5", "in a reply")) {
            byte[] pickle = Base64.getDecoder().decode(all.get(key).asText());
            IOException e = assertThrows(IOException.class, () -> reader.read(pickle), key);
            String m = e.getMessage();
            // protocols 0 to 3 name the global in the GLOBAL opcode, 4 and later push two strings for STACK_GLOBAL
            String expectedOp = key.equals("in a reply") || Integer.parseInt(key) >= 4 ? "STACK_GLOBAL" : "GLOBAL";
            assertTrue(m.startsWith("the GenEval reply imports a global posix.system (opcode " + expectedOp + " at byte "), m);
            assertTrue(m.contains("refused, only plain data"), m);
        }
        assertEquals("the GenEval reply imports a global posix.system (opcode GLOBAL at byte 2): refused, only plain data"
                        + " (dict, list, tuple, str, bytes, int, float, bool, None) is read",
                assertThrows(IOException.class, () -> reader.read(Base64.getDecoder().decode(all.get("2").asText()))).getMessage());
        assertFalse(Files.exists(marker), "nothing was executed");
    }

    @ParameterizedTest(name = "{0}")
    @CsvSource(quoteCharacter = '"', value = {
        // what, the pickle in hex, the message's part
        "REDUCE,       80044e2952 2e,        pickles a call (opcode REDUCE at byte 4)",
        "NEWOBJ,       80044e298100 2e,      pickles a call (opcode NEWOBJ at byte 4)",
        "NEWOBJ_EX,    80044e297d92 2e,      pickles a call (opcode NEWOBJ_EX at byte 5)",
        "OBJ,          8004284e6f 2e,        pickles a call (opcode OBJ at byte 4)",
        "INST,         800228696f730a730a2e, pickles a call (opcode INST at byte 3)",
        "BUILD,        80047d7d62 2e,        pickles an object's state (a call to __setstate__) (opcode BUILD at byte 4)",
        "PERSID,       80025030 0a2e,        pickles a persistent id (opcode PERSID at byte 2)",
        "BINPERSID,    80044e51 2e,          pickles a persistent id (opcode BINPERSID at byte 3)",
        "EXT1,         80028201 2e,          imports a global from the extension registry (opcode EXT1 at byte 2)",
        "EXT2,         8002830100 2e,        imports a global from the extension registry (opcode EXT2 at byte 2)",
        "EXT4,         800284010000002e,     imports a global from the extension registry (opcode EXT4 at byte 2)",
        "NEXT_BUFFER,  800597 2e,            pickles an out-of-band buffer (opcode NEXT_BUFFER at byte 2)",
        "EMPTY_SET,    80048f 2e,            pickles a set (opcode EMPTY_SET at byte 2)",
        "FROZENSET,    80042891 2e,          pickles a set (opcode FROZENSET at byte 3)",
        "text INT,     800249310a2e,         uses a protocol-0 text opcode (opcode INT at byte 2)",
        "unknown,      8004ff2e,             holds an unknown opcode 0xff at byte 2",
        "protocol 6,   80064e2e,             uses pickle protocol 6; protocols up to 5 are read",
        "after STOP,   80044e2e4e,           has 1 bytes after its STOP opcode at byte 3",
        "two values,   80044e4e2e,           leaves 1 values on the stack at STOP",
        "open MARK,    8004284e2e,           has a MARK that no opcode consumed",
        "empty stack,  80042e,               opcode STOP at byte 2 needs 1 value(s) on the stack",
        "no MARK,      80045d65 2e,          opcode APPENDS at byte 3 needs a MARK",
        "bad memo,     80046805 2e,          opcode BINGET at byte 2 reads memo entry 5",
        "append to int,80044b014b0261 2e,    opcode APPEND at byte 6 appends to an int",
        "list key,     80047d5d4b0173 2e,    uses a list as a dict key",
        "odd items,    80047d284b0175 2e,    has a key without a value",
        "not UTF-8,    80048c01ff2e,         holds text that is not UTF-8",
        "self,         80045d94680061 2e,    contains itself",
    })
    void refusesWhatIsNotPlainData(String what, String hexPickle, String expected) {
        byte[] pickle = HexFormat.of().parseHex(hexPickle.replace(" ", ""));
        IOException e = assertThrows(IOException.class, () -> new SafePickleReader(1000, "GenEval reply").read(pickle), what);
        assertTrue(e.getMessage().contains(expected), e.getMessage());
        assertTrue(e.getMessage().startsWith("the GenEval reply "), e.getMessage());
    }

    @Test
    void nestingIsBounded() throws IOException {
        SafePickleReader reader = new SafePickleReader(1 << 20);
        assertEquals(999, depth(reader.read(nested(999))));
        IOException e = assertThrows(IOException.class, () -> reader.read(nested(1001)));
        assertEquals("the pickle nests containers deeper than 1000: refused", e.getMessage());
    }

    /** n lists, each inside the previous one, built as Python would: EMPTY_LIST n times, then APPEND n - 1 times. */
    private static byte[] nested(int n) {
        byte[] b = new byte[2 + n + (n - 1) + 1];
        b[0] = (byte) 0x80;
        b[1] = 4;
        Arrays.fill(b, 2, 2 + n, (byte) ']');
        Arrays.fill(b, 2 + n, 2 + n + n - 1, (byte) 'a');
        b[b.length - 1] = '.';
        return b;
    }

    private static int depth(Object o) {
        int d = 0;
        while (o instanceof List<?> l) {
            d++;
            o = l.isEmpty() ? null : l.get(0);
        }
        return d;
    }

    @Test
    void sizeIsBounded() throws IOException {
        byte[] pickle = PickleWriter.toBytes(map("blob", new byte[1000]));
        assertEquals(1017, pickle.length); // PROTO 2, EMPTY_DICT 1, MARK 1, key 6, BINBYTES 5 + 1000, SETITEMS 1, STOP 1
        SafePickleReader reader = new SafePickleReader(1016, "GenEval reply");
        IOException e = assertThrows(IOException.class, () -> reader.read(pickle));
        assertEquals("the GenEval reply is 1017 bytes, over the limit of 1016 bytes: refused", e.getMessage());
        // from a stream, no more than the limit + 1 bytes are read
        CountingStream in = new CountingStream(new byte[1 << 20]);
        e = assertThrows(IOException.class, () -> reader.read(in));
        assertEquals("the GenEval reply is more than 1016 bytes, over the limit of 1016 bytes: refused", e.getMessage());
        assertEquals(1017, in.taken);
        assertEquals(1000, ((byte[]) ((Map<?, ?>) new SafePickleReader(1017).read(new ByteArrayInputStream(pickle))).get("blob")).length);
    }

    private static final class CountingStream extends InputStream {
        private final byte[] data;
        private int taken;

        CountingStream(byte[] data) {
            this.data = data;
        }

        @Override
        public int read() {
            return taken < data.length ? data[taken++] & 0xff : -1;
        }

        @Override
        public int read(byte[] b, int off, int len) {
            if (taken >= data.length) {
                return -1;
            }
            int n = Math.min(len, data.length - taken);
            System.arraycopy(data, taken, b, off, n);
            taken += n;
            return n;
        }
    }

    @Test
    void everyTruncationIsReportedAsSuch() throws IOException {
        Map<String, Object> value = map("scores", List.of(0.5, 1.0), "n", 70_000, "big", 1L << 40, "s", "\u00e9t\u00e9",
                "b", new byte[] {1, 2}, "t", List.of(List.of()), "ok", true, "none", null);
        byte[] pickle = PickleWriter.toBytes(value);
        SafePickleReader reader = new SafePickleReader(1000);
        for (int n = 0; n < pickle.length; n++) {
            byte[] prefix = Arrays.copyOf(pickle, n);
            IOException e = assertThrows(IOException.class, () -> reader.read(prefix), "prefix of " + n + " bytes");
            assertTrue(e.getMessage().startsWith("the pickle is truncated: "), e.getMessage());
        }
        assertEquals("the pickle is truncated: it ends at byte 2 without a STOP opcode",
                assertThrows(IOException.class, () -> reader.read(Arrays.copyOf(pickle, 2))).getMessage());
        assertEquals("the pickle is truncated: opcode SHORT_BINUNICODE at byte 4 needs 6 bytes but only 1 bytes are left",
                assertThrows(IOException.class, () -> reader.read(Arrays.copyOf(pickle, 7))).getMessage());
        // and a BINBYTES8 that claims more bytes than exist
        byte[] liar = HexFormat.of().parseHex("80048effffffffffffff7f2e");
        assertTrue(assertThrows(IOException.class, () -> reader.read(liar)).getMessage().contains("truncated"));
    }

    @Test
    void corruptedInputOnlyEverFailsCleanly() throws IOException {
        // seeded mutations of a valid reply: every outcome is a value or an IOException, never another exception
        byte[] pickle = PickleWriter.toBytes(map("scores", List.of(0.5, 1.0, -3.0), "rewards", List.of(1, 0, 70_000),
                "group", map("colors", List.of("a", "bc")), "b", new byte[] {9}));
        SafePickleReader reader = new SafePickleReader(1000);
        SplittableRandom rng = new SplittableRandom(42);
        int parsed = 0;
        for (int trial = 0; trial < 3000; trial++) {
            byte[] mutated = pickle.clone();
            int edits = 1 + rng.nextInt(3);
            for (int k = 0; k < edits; k++) {
                mutated[rng.nextInt(mutated.length)] = (byte) rng.nextInt(256);
            }
            try {
                reader.read(mutated);
                parsed++;
            } catch (IOException expected) {
                assertTrue(expected.getMessage().startsWith("the pickle "), expected.getMessage());
            }
        }
        assertTrue(parsed > 0 && parsed < 3000, "some mutations still parse (e.g. changed payload bytes), most do not: " + parsed);
    }

    @Test
    void readerSettingsAreValidated() {
        assertEquals("maxBytes must be >= 1, got 0",
                assertThrows(IllegalArgumentException.class, () -> new SafePickleReader(0)).getMessage());
        assertInstanceOf(IllegalArgumentException.class, assertThrows(RuntimeException.class, () -> new SafePickleReader(10, " ")));
    }
}
