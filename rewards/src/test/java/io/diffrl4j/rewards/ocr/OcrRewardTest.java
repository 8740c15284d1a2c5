package io.diffrl4j.rewards.ocr;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OCR reward end to end with Tesseract on Java2D text renders. Needs the English model
 * (Debian's tesseract-ocr-eng, which .ci/run installs): without it these tests fail with the
 * engine's message saying how to install it, by design, rather than skip.
 */
class OcrRewardTest {
    private static OcrReward reward;

    @BeforeAll
    static void openEngine() {
        reward = new OcrReward(TesseractEngine.builder().build());
    }

    @AfterAll
    static void closeEngine() {
        if (reward != null) {
            reward.close();
        }
    }

    private static BufferedImage sign(String text) {
        return TextImages.render(text, 512, 128, 48);
    }

    @Test
    void rightTextScoresHighDifferentWordLowBlankZero() throws Exception {
        ImageBatch images = TextImages.batch(sign("hello world"), sign("OPEN 24 HOURS"), sign("Coffee"),
                sign("hello world"), sign(""));
        List<Prompt> prompts = List.of(
                Prompt.of("A sign that says \"hello world\""),
                Prompt.of("a storefront with \"OPEN 24 HOURS\" written on it"),
                Prompt.of("A coffee mug printed with \"Coffee\""),
                Prompt.of("A sign that says \"mountain\""),
                Prompt.of("A sign that says \"hello world\""));
        double[] scores = reward.score(images, prompts);
        // Measured: 1.0 for each right text (read exactly); 0.0 for "mountain" on "hello world"
        // (distance 8 of 8 after clipping); 0 for the blank image (no lines at all).
        assertTrue(scores[0] >= 0.9, "hello world: " + scores[0]);
        assertTrue(scores[1] >= 0.9, "OPEN 24 HOURS: " + scores[1]);
        assertTrue(scores[2] >= 0.9, "Coffee: " + scores[2]);
        assertTrue(scores[3] <= 0.2, "a different word: " + scores[3]);
        assertEquals(0.0, scores[4], 0, "blank image");
        assertEquals("ocr", reward.name());
    }

    @Test
    void differentWordScoresLow() {
        // Measured 0.0 for both: the recognised text shares almost nothing with the target.
        assertTrue(reward.score(sign("Coffee"), "A sign that says \"zebra\"") <= 0.2);
        assertTrue(reward.score(sign("STOP"), "A sign that says \"banana\"") <= 0.2);
    }

    @Test
    void smallAndGreyImagesAreReadToo() throws Exception {
        // 128 x 32 with 12 pt text: the 2x upscale brings the glyphs into Tesseract's range.
        BufferedImage small = TextImages.render("STOP", 128, 32, 12);
        assertTrue(reward.score(small, "\"STOP\"") >= 0.9);
        // The same sign as a one-channel batch.
        ImageBatch rgb = TextImages.batch(sign("hello world"));
        float[] grey = new float[rgb.height() * rgb.width()];
        for (int y = 0; y < rgb.height(); y++) {
            for (int x = 0; x < rgb.width(); x++) {
                grey[y * rgb.width() + x] = rgb.get(0, 0, y, x);
            }
        }
        ImageBatch greyBatch = new ImageBatch(grey, 1, 1, rgb.height(), rgb.width());
        assertTrue(reward.score(greyBatch, List.of(Prompt.of("\"hello world\"")))[0] >= 0.9);
    }

    @Test
    void engineReturnsLinesWithConfidences() {
        List<OcrLine> lines = reward.engine().read(sign("hello world"));
        assertEquals(1, lines.size(), lines.toString());
        assertEquals("hello world", lines.get(0).text());
        // Measured 0.96.
        assertTrue(lines.get(0).confidence() > 0.5, lines.toString());
        assertEquals(List.of(), reward.engine().read(sign("")));
    }

    @Test
    void concurrentCallersGetTheSameScores() throws Exception {
        BufferedImage image = sign("banana bread");
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Double>> futures = new ArrayList<>();
            for (int i = 0; i < 6; i++) {
                futures.add(pool.submit(() -> reward.score(image, "\"banana bread\"")));
            }
            for (Future<Double> f : futures) {
                assertEquals(1.0, f.get(), 0);
            }
        } finally {
            pool.shutdown();
        }
    }

    @Test
    void imageBatchConversionRoundsAndClips() {
        float[] data = {0f, 0.5f, 2f, /* G */ 1f, -1f, Float.NaN, /* B */ 0.25f, 0.75f, 1f};
        ImageBatch batch = new ImageBatch(data, 1, 3, 1, 3);
        BufferedImage image = io.diffrl4j.rewards.image.ImageCodec.toRgb(batch, 0);
        assertArrayEquals(new int[] {0x00FF40, 0x8000BF, 0xFF00FF},
                new int[] {image.getRGB(0, 0) & 0xFFFFFF, image.getRGB(1, 0) & 0xFFFFFF, image.getRGB(2, 0) & 0xFFFFFF});
        assertThrows(IllegalArgumentException.class, () -> io.diffrl4j.rewards.image.ImageCodec.toRgb(new ImageBatch(new float[2], 1, 2, 1, 1), 0));
    }

    @Test
    void promptCountMustMatch() {
        ImageBatch one = TextImages.batch(sign(""));
        assertThrows(IllegalArgumentException.class, () -> reward.score(one, List.of()));
    }

    @Test
    void missingModelFailsWithTheInstallCommand(@TempDir Path empty) {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> TesseractEngine.builder().optTessdata(empty).build());
        String m = e.getMessage();
        assertTrue(m.contains(empty.resolve("eng.traineddata").toString()), m);
        assertTrue(m.contains("apt-get install tesseract-ocr-eng"), m);
    }

    @Test
    void badSettingsNameTheField() {
        IllegalArgumentException up = assertThrows(IllegalArgumentException.class,
                () -> TesseractEngine.builder().optUpscale(0).build());
        assertTrue(up.getMessage().contains("upscale"), up.getMessage());
        IllegalArgumentException lang = assertThrows(IllegalArgumentException.class,
                () -> TesseractEngine.builder().optLanguage("../eng").build());
        assertTrue(lang.getMessage().contains("language"), lang.getMessage());
        IllegalArgumentException var = assertThrows(IllegalArgumentException.class,
                () -> TesseractEngine.builder().optVariable("no_such_parameter", "1").build());
        assertTrue(var.getMessage().contains("no_such_parameter"), var.getMessage());
    }

    @Test
    void closedEngineRefusesToRead() {
        TesseractEngine engine = TesseractEngine.builder().build();
        if (System.getenv("TESSDATA_PREFIX") == null) {
            assertEquals(TesseractEngine.DEFAULT_TESSDATA, engine.tessdata());
        }
        engine.close();
        engine.close(); // idempotent
        assertThrows(IllegalStateException.class, () -> engine.read(sign("x")));
    }
}
