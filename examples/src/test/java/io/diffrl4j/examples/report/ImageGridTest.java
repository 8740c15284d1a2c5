package io.diffrl4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.ImageBatch;
import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ImageGridTest {
    /** n images of 4x4 pixels; image i is a flat grey of level i / n. */
    private static ImageBatch greys(int n) {
        float[] data = new float[n * 3 * 16];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(data, i * 48, (i + 1) * 48, i / (float) n);
        }
        return new ImageBatch(data, n, 3, 4, 4);
    }

    @Test
    void eachPromptGetsARowOfEnlargedImagesAndItsCaption(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("grid/before.png");
        ImageGrid.writeLabelled(greys(6), List.of("a red circle", "two blue squares"), 3, "before (epoch 0)", file);
        BufferedImage img = ImageIO.read(file.toFile());
        // title 30 px, then 2 rows of (4 * 3 + 2) px
        assertEquals(30 + 2 * 14, img.getHeight());
        // nearest neighbour: the 3x3 block of image 4 (row 2, column 2) is its grey, 4/6 of 255
        int grey = Math.round(4 / 6f * 255);
        for (int y = 0; y < 12; y++) {
            for (int x = 0; x < 12; x++) {
                assertEquals((grey << 16) | (grey << 8) | grey, img.getRGB(14 + x, 30 + 14 + y) & 0xffffff);
            }
        }
        // the caption is drawn right of the 3 images: some dark text pixels there
        int dark = 0;
        for (int y = 30; y < img.getHeight(); y++) {
            for (int x = 3 * 14 + 12; x < img.getWidth(); x++) {
                dark += (img.getRGB(x, y) & 0xff) < 128 ? 1 : 0;
            }
        }
        assertTrue(dark > 20, "caption pixels: " + dark);
        assertEquals("7 images do not make 2 equal rows", assertThrows(IllegalArgumentException.class,
                () -> ImageGrid.writeLabelled(greys(7), List.of("a", "b"), 3, "t", dir.resolve("x.png"))).getMessage());
    }

    @Test
    void thePlainGridKeepsItsLayout(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("g.png");
        ImageGrid.write(greys(5), 2, 2, file);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(2 * 10, img.getWidth());
        assertEquals(3 * 10, img.getHeight());
    }
}
