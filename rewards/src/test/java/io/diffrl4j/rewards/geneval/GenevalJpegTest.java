package io.diffrl4j.rewards.geneval;

import io.diffrl4j.rewards.image.JpegCodec;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.util.Arrays;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;

/** The wire images: JPEG with or without chroma subsampling, values mapped as Flow-GRPO maps them, bounded decoding. */
class GenevalJpegTest {
    /** 16 x 16 grey (0.15) with a 4 x 4 red square at (6, 6), channel-first. */
    private static ImageBatch redSquare() {
        int s = 16;
        float[] d = new float[3 * s * s];
        Arrays.fill(d, 0.15f);
        float[] red = {0.9f, 0.12f, 0.12f};
        for (int c = 0; c < 3; c++) {
            for (int y = 6; y < 10; y++) {
                for (int x = 6; x < 10; x++) {
                    d[(c * s + y) * s + x] = red[c];
                }
            }
        }
        return new ImageBatch(d, 1, 3, s, s);
    }

    /** @return the (H << 4 | V) sampling byte of each component in the JPEG's baseline SOF0 segment */
    private static int[] samplingFactors(byte[] jpeg) {
        for (int i = 2; i + 1 < jpeg.length; ) {
            int marker = jpeg[i + 1] & 0xff;
            int length = (jpeg[i + 2] & 0xff) << 8 | (jpeg[i + 3] & 0xff);
            if (marker == 0xc0) {
                int n = jpeg[i + 9] & 0xff;
                int[] f = new int[n];
                for (int k = 0; k < n; k++) {
                    f[k] = jpeg[i + 10 + 3 * k + 1] & 0xff;
                }
                return f;
            }
            i += 2 + length;
        }
        throw new AssertionError("no SOF0 segment");
    }

    private static double maxError(ImageBatch a, ImageBatch b) {
        double max = 0;
        for (int c = 0; c < 3; c++) {
            for (int y = 0; y < a.height(); y++) {
                for (int x = 0; x < a.width(); x++) {
                    max = Math.max(max, Math.abs(a.get(0, c, y, x) - b.get(0, c, y, x)));
                }
            }
        }
        return max;
    }

    @Test
    void fullResolutionChromaKeepsSmallColouredObjects() throws IOException {
        ImageBatch img = redSquare();
        byte[] full = JpegCodec.encode(img, 0, 95, false);
        byte[] sub = JpegCodec.encode(img, 0, 95, true);
        assertEquals(0xffd8, (full[0] & 0xff) << 8 | (full[1] & 0xff), "a JPEG file");
        assertEquals(Arrays.toString(new int[] {0x11, 0x11, 0x11}), Arrays.toString(samplingFactors(full)), "4:4:4");
        assertEquals(Arrays.toString(new int[] {0x22, 0x11, 0x11}), Arrays.toString(samplingFactors(sub)), "4:2:0");
        ImageBatch fullBack = JpegCodec.decode(full, 1000);
        ImageBatch subBack = JpegCodec.decode(sub, 1000);
        assertEquals(16, fullBack.height());
        assertEquals(3, fullBack.channels());
        double fullError = maxError(img, fullBack);
        double subError = maxError(img, subBack);
        assertTrue(fullError < 0.1, "4:4:4 at quality 95 stays within 0.1 per channel: " + fullError);
        assertTrue(subError > 0.2, "4:2:0 smears the square's colour into its neighbours: " + subError);
    }

    @Test
    void valuesMapToBytesAsFlowGrpoMapsThem() throws IOException {
        // uniform images come back exactly at quality 100: round(clamp(v) * 255) / 255
        for (float v : new float[] {-0.5f, 0f, 0.3f, 0.5f, 1f, 1.7f}) {
            float[] d = new float[3 * 8 * 8];
            Arrays.fill(d, v);
            ImageBatch back = JpegCodec.decode(JpegCodec.encode(new ImageBatch(d, 1, 3, 8, 8), 0, 100, false), 64);
            assertEquals(Math.round(Math.max(0, Math.min(1, v)) * 255) / 255f, back.get(0, 1, 3, 3), 1e-6, "value " + v);
        }
        float[] grey = new float[8 * 8];
        Arrays.fill(grey, 0.5f);
        ImageBatch back = JpegCodec.decode(JpegCodec.encode(new ImageBatch(grey, 1, 1, 8, 8), 0, 100, true), 64);
        assertEquals(3, back.channels(), "grey images go out as RGB");
        assertEquals(128 / 255f, back.get(0, 2, 0, 0), 1e-6);
    }

    @Test
    void badInputsAreRefusedClearly() throws IOException {
        ImageBatch img = redSquare();
        assertEquals("JPEG quality must be in [1, 100], got 0",
                assertThrows(IllegalArgumentException.class, () -> JpegCodec.encode(img, 0, 0, false)).getMessage());
        float[] nan = new float[3 * 4 * 4];
        nan[5] = Float.NaN;
        assertEquals("image 0 holds a non-finite value NaN",
                assertThrows(IllegalArgumentException.class, () -> JpegCodec.encode(new ImageBatch(nan, 1, 3, 4, 4), 0, 95, false)).getMessage());
        assertEquals("JPEG images must be RGB (3 channels) or grey (1), got 2 channels",
                assertThrows(IllegalArgumentException.class, () -> JpegCodec.encode(new ImageBatch(new float[32], 1, 2, 4, 4), 0, 95, false))
                        .getMessage());
        byte[] jpeg = JpegCodec.encode(img, 0, 95, false);
        assertEquals("a 16 x 16 image is over the limit of 255 pixels",
                assertThrows(IOException.class, () -> JpegCodec.decode(jpeg, 255)).getMessage());
        assertEquals("not an image file (5 bytes, starting 0x68656c6c)",
                assertThrows(IOException.class, () -> JpegCodec.decode("hello".getBytes(), 1000)).getMessage());
        ByteArrayOutputStream png = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(2, 2, BufferedImage.TYPE_INT_RGB), "png", png);
        assertEquals("expected a JPEG, got png", assertThrows(IOException.class, () -> JpegCodec.decode(png.toByteArray(), 1000)).getMessage());
        assertTrue(assertThrows(IOException.class, () -> JpegCodec.decode(Arrays.copyOf(jpeg, 40), 1000)).getMessage().length() > 0,
                "a truncated JPEG fails as an IOException");
    }
}
