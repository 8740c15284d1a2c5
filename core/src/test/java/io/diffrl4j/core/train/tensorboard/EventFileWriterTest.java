package io.diffrl4j.core.train.tensorboard;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffrl4j.core.train.tensorboard.IndependentEventReader.Event;
import io.diffrl4j.core.train.tensorboard.IndependentEventReader.Image;
import io.diffrl4j.core.train.tensorboard.IndependentEventReader.Value;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The writer's files, read back by two readers that share no code with it: {@link
 * IndependentEventReader} (Java, hand-written wire decoding and CRC32C) and read_events.py
 * (Python standard library only).
 */
class EventFileWriterTest {
    /** Steps that stress the int64 varint: zero (left out on the wire), small, 5 bytes, the largest, negative. */
    private static final long[] STEPS = {0, 1, 2, 7, 1000, 1L << 33, Long.MAX_VALUE, -3};
    /** Values whose float32 bits must survive: NaN, signs, zeros, the float range's ends, a subnormal. */
    private static final double[] SPECIAL = {Double.NaN, -1.5, 0.0, -0.0, 3.4e38, -3.4e38, 1e-40,
        Double.POSITIVE_INFINITY, Double.NEGATIVE_INFINITY, 123456.789, -7e-8};

    /** One scalar as a reader should see it: the float32 bits, so NaN and -0.0 compare exactly. */
    record Scalar(String tag, long step, int bits) {
        static Scalar of(String tag, long step, double value) {
            return new Scalar(tag, step, Float.floatToRawIntBits((float) value));
        }
    }

    /** What {@link #writeSample} wrote. */
    record Sample(Path file, List<Scalar> scalars, BufferedImage rgb, byte[] argbPng, BufferedImage argb,
            double startSeconds, double endSeconds) {}

    @Test
    void everyScalarAndImageReadsBackExactly(@TempDir Path dir) throws Exception {
        Sample s = writeSample(dir);
        assertTrue(s.file().getFileName().toString().matches("events\\.out\\.tfevents\\.\\d{10}\\.[A-Za-z0-9._-]+\\.\\d+\\.\\d+"),
                s.file().getFileName().toString());
        assertEquals(dir, s.file().getParent());
        List<Event> events = IndependentEventReader.read(s.file());

        Event first = events.get(0);
        assertEquals("brain.Event:2", first.fileVersion());
        assertEquals(0, first.step());
        assertTrue(first.values().isEmpty());
        double previous = 0;
        for (Event e : events) {
            assertTrue(e.wallTime() >= s.startSeconds() - 1e-3 && e.wallTime() <= s.endSeconds() + 1e-3,
                    e.wallTime() + " outside [" + s.startSeconds() + ", " + s.endSeconds() + "]");
            assertTrue(e.wallTime() >= previous, "wall times go forward");
            previous = e.wallTime();
        }
        for (Event e : events.subList(1, events.size())) {
            assertNull(e.fileVersion());
            assertTrue(!e.values().isEmpty());
        }

        assertEquals(s.scalars(), scalarsOf(events));
        assertEquals(200, s.scalars().size());

        List<Event> imageEvents = events.subList(1, events.size()).stream().filter(e -> e.values().get(0).image() != null).toList();
        assertEquals(2, imageEvents.size());
        Event before = imageEvents.get(0);
        assertEquals(5, before.step());
        assertEquals("samples/before", before.values().get(0).tag());
        Image rgb = before.values().get(0).image();
        assertEquals(23, rgb.height());
        assertEquals(37, rgb.width());
        assertEquals(3, rgb.colorspace()); // RGB
        assertSamePixels(s.rgb(), ImageIO.read(new ByteArrayInputStream(rgb.png())));

        Event after = imageEvents.get(1);
        assertEquals(20, after.step());
        assertEquals("samples/after", after.values().get(0).tag());
        Image argb = after.values().get(0).image();
        assertEquals(9, argb.height());
        assertEquals(16, argb.width());
        assertEquals(4, argb.colorspace()); // RGBA
        assertArrayEquals(s.argbPng(), argb.png(), "PNG bytes are stored as given");
        assertSamePixels(s.argb(), ImageIO.read(new ByteArrayInputStream(argb.png())));
    }

    @Test
    void pythonReadsTheSameEvents(@TempDir Path dir) throws Exception {
        Sample s = writeSample(dir);
        List<Event> events = IndependentEventReader.read(s.file());
        PythonRun run = python(s.file());
        assertEquals(0, run.exitCode(), run.stderr());
        JsonNode py = new ObjectMapper().readTree(run.stdout()).get("events");

        assertEquals(events.size(), py.size());
        assertEquals("brain.Event:2", py.get(0).get("file_version").asText());
        List<Scalar> pyScalars = new ArrayList<>();
        for (int i = 0; i < py.size(); i++) {
            JsonNode e = py.get(i);
            assertEquals(events.get(i).step(), e.get("step").asLong());
            assertEquals(events.get(i).wallTime(), e.get("wall_time").asDouble(), 0);
            for (JsonNode v : e.get("values")) {
                if (v.has("simple_value_bits")) {
                    pyScalars.add(new Scalar(v.get("tag").asText(), e.get("step").asLong(),
                            (int) v.get("simple_value_bits").asLong()));
                }
            }
        }
        assertEquals(s.scalars(), pyScalars);

        List<JsonNode> pyImages = new ArrayList<>();
        List<Image> javaImages = new ArrayList<>();
        for (int i = 0; i < py.size(); i++) {
            for (int j = 0; j < py.get(i).get("values").size(); j++) {
                JsonNode v = py.get(i).get("values").get(j);
                if (v.has("image")) {
                    pyImages.add(v.get("image"));
                    javaImages.add(events.get(i).values().get(j).image());
                }
            }
        }
        assertEquals(2, pyImages.size());
        for (int i = 0; i < 2; i++) {
            JsonNode p = pyImages.get(i);
            Image j = javaImages.get(i);
            assertEquals(j.height(), p.get("height").asInt());
            assertEquals(j.width(), p.get("width").asInt());
            assertEquals(j.colorspace(), p.get("colorspace").asInt());
            assertEquals(j.png().length, p.get("png_length").asInt());
            assertEquals(sha256(j.png()), p.get("png_sha256").asText());
        }
        assertEquals(sha256(s.argbPng()), pyImages.get(1).get("png_sha256").asText());
    }

    @Test
    void aCorruptedByteFailsTheCrcCheck(@TempDir Path dir) throws Exception {
        Path file;
        try (EventFileWriter w = EventFileWriter.open(dir)) {
            file = w.file();
            w.addScalar("loss", 1, 0.5);
            w.addScalar("loss", 2, 0.25);
            w.addScalar("loss", 3, 0.125);
        }
        byte[] good = Files.readAllBytes(file);
        assertEquals(4, IndependentEventReader.read(file).size());
        List<Integer> starts = recordStarts(good);
        assertEquals(4, starts.size());

        byte[] dataFlipped = good.clone();
        int inData = starts.get(2) + 12 + 3; // inside record 2's payload
        dataFlipped[inData] ^= 0x01;
        Path bad = dir.resolve("data-corrupt.tfevents");
        Files.write(bad, dataFlipped);
        IOException e = assertThrows(IOException.class, () -> IndependentEventReader.read(bad));
        assertEquals("record 2: data CRC mismatch", e.getMessage());
        PythonRun py = python(bad);
        assertEquals(1, py.exitCode(), py.stdout());
        assertEquals("record 2: data CRC mismatch", py.stderr().strip());

        byte[] lengthFlipped = good.clone();
        lengthFlipped[starts.get(1)] ^= 0x01; // lowest byte of record 1's length
        Path badLength = dir.resolve("length-corrupt.tfevents");
        Files.write(badLength, lengthFlipped);
        e = assertThrows(IOException.class, () -> IndependentEventReader.read(badLength));
        assertEquals("record 1: length CRC mismatch", e.getMessage());
        py = python(badLength);
        assertEquals(1, py.exitCode(), py.stdout());
        assertEquals("record 1: length CRC mismatch", py.stderr().strip());
    }

    @Test
    void theMaskedCrcMatchesTensorFlowsDefinition() {
        // CRC-32C of "123456789" is 0xE3069283 (the standard check value); masking rotates right by 15, adds 0xa282ead8
        byte[] check = "123456789".getBytes(StandardCharsets.US_ASCII);
        assertEquals(0xE3069283, IndependentEventReader.crc32c(check, 0, check.length));
        int expected = ((0xE3069283 >>> 15) | (0xE3069283 << 17)) + 0xa282ead8;
        assertEquals(expected, TfRecordWriter.maskedCrc32c(check));
        assertEquals(expected, IndependentEventReader.mask(0xE3069283));
    }

    @Test
    void eachOpenMakesItsOwnFileAndClosedWritersAndBadInputAreRefused(@TempDir Path dir) throws Exception {
        Path run = dir.resolve("a/b");
        try (EventFileWriter one = EventFileWriter.open(run); EventFileWriter two = EventFileWriter.open(run, ".eval")) {
            assertNotEquals(one.file(), two.file());
            assertTrue(two.file().getFileName().toString().endsWith(".eval"));
            one.addScalar("x", 1, 1.0);
            two.addScalar("x", 1, 2.0);
            assertThrows(IllegalArgumentException.class, () -> one.addImage("img", 0, new byte[] {1, 2, 3}));
            assertThrows(IllegalArgumentException.class, () -> one.addScalar("", 0, 1.0));
            one.close();
            one.close(); // a second close does nothing
            IllegalStateException closed = assertThrows(IllegalStateException.class, () -> one.addScalar("x", 2, 1.0));
            assertTrue(closed.getMessage().contains(one.file().toString()), closed.getMessage());
            two.flush();
            assertEquals(List.of(Scalar.of("x", 1, 2.0)), scalarsOf(IndependentEventReader.read(two.file())));
        }
        assertEquals(2, Files.list(run).count());
        assertThrows(IllegalArgumentException.class, () -> EventFileWriter.open(run, "/../x"));
    }

    /** Writes 200 scalars (one event each, then ten to an event) and two images. */
    static Sample writeSample(Path dir) throws IOException {
        double start = System.currentTimeMillis() / 1000.0;
        List<Scalar> expected = new ArrayList<>();
        BufferedImage rgb = new BufferedImage(37, 23, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < rgb.getHeight(); y++) {
            for (int x = 0; x < rgb.getWidth(); x++) {
                rgb.setRGB(x, y, (x * 7 << 16) | (y * 11 << 8) | ((x + y) * 3));
            }
        }
        BufferedImage argb = new BufferedImage(16, 9, BufferedImage.TYPE_INT_ARGB);
        for (int y = 0; y < argb.getHeight(); y++) {
            for (int x = 0; x < argb.getWidth(); x++) {
                argb.setRGB(x, y, ((x * 16) << 24) | (y * 28 << 16) | (200 << 8) | (x * y));
            }
        }
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(argb, "png", png);
        Path file;
        try (EventFileWriter w = EventFileWriter.open(dir)) {
            file = w.file();
            for (int i = 0; i < 150; i++) {
                String tag = "group" + (i % 3) + "/metric" + (i % 7);
                long step = STEPS[i % STEPS.length];
                double v = i < SPECIAL.length ? SPECIAL[i] : Math.sin(i) * Math.pow(10, i % 9 - 4);
                w.addScalar(tag, step, v);
                expected.add(Scalar.of(tag, step, v));
                if (i == 60) {
                    w.addImage("samples/before", 5, rgb);
                }
            }
            for (int e = 0; e < 5; e++) {
                Map<String, Double> batch = new LinkedHashMap<>();
                long step = 100 + e;
                for (int k = 0; k < 10; k++) {
                    String tag = "batch/m" + k;
                    double v = -k * 1e6 + e;
                    batch.put(tag, v);
                    expected.add(Scalar.of(tag, step, v));
                }
                w.addScalars(step, batch);
            }
            w.addImage("samples/after", 20, png.toByteArray());
        }
        return new Sample(file, expected, rgb, png.toByteArray(), argb, start, System.currentTimeMillis() / 1000.0);
    }

    static List<Scalar> scalarsOf(List<Event> events) {
        List<Scalar> out = new ArrayList<>();
        for (Event e : events) {
            for (Value v : e.values()) {
                if (v.simpleValue() != null) {
                    out.add(new Scalar(v.tag(), e.step(), Float.floatToRawIntBits(v.simpleValue())));
                }
            }
        }
        return out;
    }

    /** Output of read_events.py on one file. */
    record PythonRun(int exitCode, String stdout, String stderr) {}

    /** Runs read_events.py with python3; fails (does not skip) when python3 is missing. */
    static PythonRun python(Path eventFile) throws Exception {
        Path script = Path.of(EventFileWriterTest.class.getResource("read_events.py").toURI());
        Path out = Files.createTempFile("read_events", ".out");
        Path err = Files.createTempFile("read_events", ".err");
        try {
            Process p = new ProcessBuilder("python3", script.toString(), eventFile.toString())
                    .redirectOutput(out.toFile()).redirectError(err.toFile()).start();
            assertTrue(p.waitFor(60, TimeUnit.SECONDS), "read_events.py did not finish in 60 s");
            return new PythonRun(p.exitValue(), Files.readString(out), Files.readString(err));
        } finally {
            Files.deleteIfExists(out);
            Files.deleteIfExists(err);
        }
    }

    private static List<Integer> recordStarts(byte[] file) {
        List<Integer> starts = new ArrayList<>();
        int pos = 0;
        while (pos < file.length) {
            starts.add(pos);
            long length = 0;
            for (int i = 7; i >= 0; i--) {
                length = (length << 8) | (file[pos + i] & 0xff);
            }
            pos += 12 + (int) length + 4;
        }
        return starts;
    }

    private static void assertSamePixels(BufferedImage expected, BufferedImage actual) {
        assertEquals(expected.getWidth(), actual.getWidth());
        assertEquals(expected.getHeight(), actual.getHeight());
        for (int y = 0; y < expected.getHeight(); y++) {
            for (int x = 0; x < expected.getWidth(); x++) {
                assertEquals(expected.getRGB(x, y), actual.getRGB(x, y), "pixel " + x + "," + y);
            }
        }
    }

    private static String sha256(byte[] b) throws NoSuchAlgorithmException {
        return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(b));
    }
}
