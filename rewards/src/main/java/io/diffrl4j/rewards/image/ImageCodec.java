package io.diffrl4j.rewards.image;

import io.diffrl4j.core.reward.ImageBatch;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import javax.imageio.ImageIO;
import javax.imageio.ImageWriter;
import javax.imageio.stream.ImageOutputStream;
import javax.imageio.stream.MemoryCacheImageOutputStream;

/**
 * 8-bit RGB and PNG encodings of generated images ({@link JpegCodec} does JPEG). Values in
 * [0, 1] become bytes as the reference code makes them ({@code round(255 x)}, half to even as torch rounds, clamped to [0, 255]; NaN is 0);
 * a one-channel image becomes grey RGB. Stateless and thread-safe.
 */
public final class ImageCodec {
    private ImageCodec() {}

    /**
     * @param images the batch, 1 or 3 channels
     * @param i which image
     * @return it as an 8-bit RGB image
     * @throws IllegalArgumentException for other channel counts
     */
    public static BufferedImage toRgb(ImageBatch images, int i) {
        int c = images.channels();
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("images must have 1 or 3 channels to be encoded, got " + c);
        }
        int h = images.height();
        int w = images.width();
        BufferedImage out = new BufferedImage(w, h, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < h; y++) {
            for (int x = 0; x < w; x++) {
                int r = toByte(images.get(i, 0, y, x));
                int g = c == 3 ? toByte(images.get(i, 1, y, x)) : r;
                int b = c == 3 ? toByte(images.get(i, 2, y, x)) : r;
                out.setRGB(x, y, (r << 16) | (g << 8) | b);
            }
        }
        return out;
    }

    /** @param image an RGB image @return its PNG bytes (lossless) */
    public static byte[] png(BufferedImage image) {
        ImageWriter writer = ImageIO.getImageWritersByFormatName("png").next();
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (ImageOutputStream out = new MemoryCacheImageOutputStream(bytes)) {
            writer.setOutput(out);
            writer.write(image);
        } catch (IOException e) {
            throw new UncheckedIOException("PNG encoding failed", e);
        } finally {
            writer.dispose();
        }
        return bytes.toByteArray();
    }

    private static int toByte(float v) {
        return (int) Math.max(0, Math.min(255, Math.rint(v * 255.0)));
    }
}
