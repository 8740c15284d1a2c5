package io.diffrl4j.rewards.image;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import java.util.List;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class ImageCodecTest {
    /** Image 0 flat grey, image 1 uniform noise; 3 x 32 x 32 each. */
    private static ImageBatch flatAndNoise() {
        int plane = 32 * 32;
        float[] data = new float[2 * 3 * plane];
        SplittableRandom rng = new SplittableRandom(5);
        for (int j = 0; j < 3 * plane; j++) {
            data[j] = 0.5f;
            data[3 * plane + j] = (float) rng.nextDouble();
        }
        return new ImageBatch(data, 2, 3, 32, 32);
    }

    @Test
    void bytesAreRoundedAndClampedAsTheReferenceMakesThem() {
        ImageBatch b = new ImageBatch(new float[] {-0.2f, 0.5f, 1.3f, 0.2f, 0.0f, 1.0f}, 2, 3, 1, 1);
        assertEquals(0x0080ff, ImageCodec.toRgb(b, 0).getRGB(0, 0) & 0xffffff); // 0.5 * 255 = 127.5 rounds up
        assertEquals(0x3300ff, ImageCodec.toRgb(b, 1).getRGB(0, 0) & 0xffffff);
        ImageBatch grey = new ImageBatch(new float[] {0.4f}, 1, 1, 1, 1);
        assertEquals(0x666666, ImageCodec.toRgb(grey, 0).getRGB(0, 0) & 0xffffff);
        assertThrows(IllegalArgumentException.class, () -> ImageCodec.toRgb(new ImageBatch(new float[2], 1, 2, 1, 1), 0));
    }

    @Test
    void pngIsLossless() throws Exception {
        ImageBatch b = flatAndNoise();
        float[] original = b.image(1);
        java.awt.image.BufferedImage png = javax.imageio.ImageIO.read(new java.io.ByteArrayInputStream(
                ImageCodec.png(ImageCodec.toRgb(b, 1))));
        assertEquals(32, png.getHeight());
        for (int y = 0; y < 32; y++) {
            for (int x = 0; x < 32; x++) {
                int rgb = png.getRGB(x, y);
                assertEquals(Math.rint(original[y * 32 + x] * 255), (rgb >> 16) & 0xff);
                assertEquals(Math.rint(original[32 * 32 + y * 32 + x] * 255), (rgb >> 8) & 0xff);
                assertEquals(Math.rint(original[2 * 32 * 32 + y * 32 + x] * 255), rgb & 0xff);
            }
        }
    }

    @Test
    void jpegCompressibilityIsMinusTheKilobytesAndPrefersFlatImages() {
        ImageBatch b = flatAndNoise();
        double[] r = new JpegCompressibilityReward().score(b, List.of(Prompt.of("a"), Prompt.of("b")));
        assertEquals(-JpegCodec.encode(b, 0, 95, true).length / 1000.0, r[0], 0);
        assertEquals(-JpegCodec.encode(b, 1, 95, true).length / 1000.0, r[1], 0);
        assertTrue(r[0] > r[1] + 1, "flat " + r[0] + " vs noise " + r[1]);
        assertArrayEquals(r, new JpegCompressibilityReward().score(b, List.of(Prompt.of("a"), Prompt.of("b"))), 0);
    }
}
