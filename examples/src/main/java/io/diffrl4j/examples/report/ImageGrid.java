package io.diffrl4j.examples.report;

import io.diffrl4j.core.reward.ImageBatch;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;

/**
 * Writes RGB images (values in [0, 1], C = 3) as a PNG grid, enlarged by an integer zoom with
 * nearest-neighbour pixels and a 2-pixel gutter: row-major with {@code columns} per row
 * ({@link #write}), or one row per prompt with the prompt's text beside it under a title
 * ({@link #writeLabelled}).
 */
public final class ImageGrid {
    private ImageGrid() {}

    /**
     * @param images RGB images in [0, 1]
     * @param columns images per row
     * @param zoom pixel enlargement
     * @param file the PNG to write (parent folders are created)
     * @throws IOException when writing fails
     */
    public static void write(ImageBatch images, int columns, int zoom, Path file) throws IOException {
        if (images.channels() != 3) {
            throw new IllegalArgumentException("an image grid needs RGB images, got " + images.channels() + " channels");
        }
        int n = images.count();
        int rows = (n + columns - 1) / columns;
        int cw = images.width() * zoom + 2;
        int ch = images.height() * zoom + 2;
        BufferedImage img = new BufferedImage(columns * cw, rows * ch, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < img.getHeight(); y++) {
            for (int x = 0; x < img.getWidth(); x++) {
                img.setRGB(x, y, 0xffffff);
            }
        }
        for (int i = 0; i < n; i++) {
            int ox = (i % columns) * cw;
            int oy = (i / columns) * ch;
            draw(images, i, zoom, img, ox, oy);
        }
        writePng(img, file);
    }

    /**
     * One row per caption: that row's images, then its caption ("1. a red circle"), under a title.
     *
     * @param images RGB images in [0, 1], {@code captions.size() * perRow} of them, row by row
     * @param captions one caption per row (the prompt), numbered from 1 in the figure
     * @param zoom pixel enlargement (nearest neighbour)
     * @param title the figure's title, e.g. "before (epoch 0)"
     * @param file the PNG to write (parent folders are created)
     * @throws IOException when writing fails
     */
    public static void writeLabelled(ImageBatch images, List<String> captions, int zoom, String title, Path file)
            throws IOException {
        if (images.channels() != 3) {
            throw new IllegalArgumentException("an image grid needs RGB images, got " + images.channels() + " channels");
        }
        if (captions.isEmpty() || images.count() % captions.size() != 0) {
            throw new IllegalArgumentException(images.count() + " images do not make " + captions.size() + " equal rows");
        }
        int perRow = images.count() / captions.size();
        int cw = images.width() * zoom + 2;
        int ch = images.height() * zoom + 2;
        Font captionFont = new Font(Font.SANS_SERIF, Font.PLAIN, 13);
        Font titleFont = new Font(Font.SANS_SERIF, Font.BOLD, 15);
        FontMetrics fm = new BufferedImage(1, 1, BufferedImage.TYPE_INT_RGB).createGraphics().getFontMetrics(captionFont);
        int textWidth = 0;
        for (int r = 0; r < captions.size(); r++) {
            textWidth = Math.max(textWidth, fm.stringWidth(caption(r, captions)));
        }
        int titleHeight = 30;
        int width = Math.max(perRow * cw + 12 + textWidth + 10, 300);
        BufferedImage img = new BufferedImage(width, titleHeight + captions.size() * ch, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        g.setColor(Color.BLACK);
        g.setFont(titleFont);
        g.drawString(title, 4, 20);
        g.setFont(captionFont);
        for (int r = 0; r < captions.size(); r++) {
            int oy = titleHeight + r * ch;
            for (int k = 0; k < perRow; k++) {
                draw(images, r * perRow + k, zoom, img, k * cw, oy);
            }
            g.drawString(caption(r, captions), perRow * cw + 12, oy + ch / 2 + fm.getAscent() / 2 - 1);
        }
        g.dispose();
        writePng(img, file);
    }

    private static String caption(int row, List<String> captions) {
        return (row + 1) + ". " + captions.get(row);
    }

    private static void draw(ImageBatch images, int i, int zoom, BufferedImage img, int ox, int oy) {
        for (int y = 0; y < images.height() * zoom; y++) {
            for (int x = 0; x < images.width() * zoom; x++) {
                int rgb = 0;
                for (int c = 0; c < 3; c++) {
                    float v = images.get(i, c, y / zoom, x / zoom);
                    rgb = (rgb << 8) | Math.max(0, Math.min(255, Math.round(v * 255)));
                }
                img.setRGB(ox + x, oy + y, rgb);
            }
        }
    }

    private static void writePng(BufferedImage img, Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
