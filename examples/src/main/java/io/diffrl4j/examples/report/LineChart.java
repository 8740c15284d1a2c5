package io.diffrl4j.examples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import javax.imageio.ImageIO;

/**
 * A plain line chart written as PNG with Java2D (no plotting library on the JVM classpath): one or
 * more named series over a shared x axis, axis ticks, a legend. NaN points are skipped.
 */
public final class LineChart {
    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
    };

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final Map<String, double[][]> series = new LinkedHashMap<>();

    /**
     * @param title chart title
     * @param xLabel x axis label
     * @param yLabel y axis label
     */
    public LineChart(String title, String xLabel, String yLabel) {
        this.title = title;
        this.xLabel = xLabel;
        this.yLabel = yLabel;
    }

    /**
     * @param name legend entry
     * @param x x values
     * @param y y values, same length
     * @return this
     */
    public LineChart add(String name, double[] x, double[] y) {
        if (x.length != y.length) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x and " + y.length + " y values");
        }
        series.put(name, new double[][] {x.clone(), y.clone()});
        return this;
    }

    /**
     * @param file the PNG to write (parent folders are created)
     * @param width pixels
     * @param height pixels
     * @throws IOException when writing fails
     */
    public void write(Path file, int width, int height) throws IOException {
        writePng(render(width, height), file);
    }

    /**
     * Several charts of one size in a grid, as one PNG (a multi-panel figure).
     *
     * @param charts the panels, row by row
     * @param columns panels per row
     * @param width pixels of one panel
     * @param height pixels of one panel
     * @param file the PNG to write (parent folders are created)
     * @throws IOException when writing fails
     */
    public static void writeGrid(List<LineChart> charts, int columns, int width, int height, Path file) throws IOException {
        if (charts.isEmpty() || columns < 1) {
            throw new IllegalArgumentException("a grid needs at least one chart and one column");
        }
        int rows = (charts.size() + columns - 1) / columns;
        BufferedImage img = new BufferedImage(columns * width, rows * height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, img.getWidth(), img.getHeight());
        for (int i = 0; i < charts.size(); i++) {
            g.drawImage(charts.get(i).render(width, height), (i % columns) * width, (i / columns) * height, null);
        }
        g.dispose();
        writePng(img, file);
    }

    /**
     * @param width pixels
     * @param height pixels
     * @return the chart as an image
     */
    public BufferedImage render(int width, int height) {
        BufferedImage img = new BufferedImage(width, height, BufferedImage.TYPE_INT_RGB);
        Graphics2D g = img.createGraphics();
        g.setRenderingHint(RenderingHints.KEY_ANTIALIASING, RenderingHints.VALUE_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        double[] xr = range(0);
        double[] yr = range(1);
        int left = 70;
        int right = width - 20;
        int top = 40;
        int bottom = height - 50;
        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 14));
        g.drawString(title, left, 22);
        g.setFont(new Font(Font.SANS_SERIF, Font.PLAIN, 11));
        g.drawRect(left, top, right - left, bottom - top);
        for (int i = 0; i <= 4; i++) {
            double yv = yr[0] + (yr[1] - yr[0]) * i / 4;
            int yp = bottom - (bottom - top) * i / 4;
            g.setColor(new Color(0xe0e0e0));
            g.drawLine(left + 1, yp, right - 1, yp);
            g.setColor(Color.BLACK);
            g.drawString(String.format(Locale.ROOT, "%.3g", yv), 5, yp + 4);
            double xv = xr[0] + (xr[1] - xr[0]) * i / 4;
            int xp = left + (right - left) * i / 4;
            g.drawString(String.format(Locale.ROOT, "%.3g", xv), xp - 10, bottom + 15);
        }
        g.drawString(xLabel, (left + right) / 2 - 20, height - 12);
        g.drawString(yLabel, 5, top - 8);
        int k = 0;
        int legendY = top + 15;
        for (Map.Entry<String, double[][]> e : series.entrySet()) {
            Color c = COLORS[k++ % COLORS.length];
            g.setColor(c);
            g.setStroke(new BasicStroke(2f));
            double[] x = e.getValue()[0];
            double[] y = e.getValue()[1];
            int px = -1;
            int py = -1;
            for (int i = 0; i < x.length; i++) {
                if (!Double.isFinite(y[i]) || !Double.isFinite(x[i])) {
                    px = -1;
                    continue;
                }
                int sx = left + (int) Math.round((x[i] - xr[0]) / (xr[1] - xr[0]) * (right - left));
                int sy = bottom - (int) Math.round((y[i] - yr[0]) / (yr[1] - yr[0]) * (bottom - top));
                if (px >= 0) {
                    g.drawLine(px, py, sx, sy);
                }
                g.fillOval(sx - 2, sy - 2, 5, 5);
                px = sx;
                py = sy;
            }
            g.drawLine(left + 10, legendY - 4, left + 30, legendY - 4);
            g.setColor(Color.BLACK);
            g.drawString(e.getKey(), left + 35, legendY);
            legendY += 15;
        }
        g.dispose();
        return img;
    }

    private static void writePng(BufferedImage img, Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(img, "png", file.toFile());
    }

    private double[] range(int axis) {
        List<Double> v = new ArrayList<>();
        for (double[][] s : series.values()) {
            for (double d : s[axis]) {
                if (Double.isFinite(d)) {
                    v.add(d);
                }
            }
        }
        if (v.isEmpty()) {
            return new double[] {0, 1};
        }
        double lo = v.stream().mapToDouble(d -> d).min().orElse(0);
        double hi = v.stream().mapToDouble(d -> d).max().orElse(1);
        if (hi - lo < 1e-12) {
            lo -= 0.5;
            hi += 0.5;
        } else if (axis == 1) {
            double pad = 0.05 * (hi - lo);
            lo -= pad;
            hi += pad;
        }
        return new double[] {lo, hi};
    }
}
