package io.diffrl4j.rewards.ocr;

import io.diffrl4j.core.reward.ImageBatch;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;

/** Test images: text drawn with Java2D, and their conversion to an {@link ImageBatch}. */
final class TextImages {
    private TextImages() {}

    /**
     * @return a {@code width x height} white image with {@code text} centred in black bold sans
     *     serif of {@code points} size, antialiased; no text when {@code text} is empty
     */
    static BufferedImage render(String text, int width, int height, int points) {
        BufferedImage image = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = image.createGraphics();
        try {
            g.setColor(Color.WHITE);
            g.fillRect(0, 0, width, height);
            if (!text.isEmpty()) {
                g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
                g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
                g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, points));
                g.setColor(Color.BLACK);
                FontMetrics m = g.getFontMetrics();
                int x = (width - m.stringWidth(text)) / 2;
                int y = (height - m.getHeight()) / 2 + m.getAscent();
                g.drawString(text, x, y);
            }
        } finally {
            g.dispose();
        }
        return image;
    }

    /** @return the images as one RGB batch in [0, 1] (all must share one size) */
    static ImageBatch batch(BufferedImage... images) {
        int h = images[0].getHeight();
        int w = images[0].getWidth();
        float[] data = new float[images.length * 3 * h * w];
        for (int i = 0; i < images.length; i++) {
            for (int y = 0; y < h; y++) {
                for (int x = 0; x < w; x++) {
                    int p = images[i].getRGB(x, y);
                    for (int c = 0; c < 3; c++) {
                        data[((i * 3 + c) * h + y) * w + x] = ((p >> (16 - 8 * c)) & 0xFF) / 255f;
                    }
                }
            }
        }
        return new ImageBatch(data, images.length, 3, h, w);
    }
}
