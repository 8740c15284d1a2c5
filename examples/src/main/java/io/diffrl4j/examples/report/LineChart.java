package io.diffrl4j.examples.report;

import java.awt.BasicStroke;
import java.awt.Color;
import java.awt.Font;
import java.awt.FontMetrics;
import java.awt.Graphics2D;
import java.awt.RenderingHints;
import java.awt.geom.Path2D;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * A plain line chart written as PNG with Java2D (no plotting library on the JVM classpath): named
 * series over a shared x axis, each a line (optionally with a shaded mean ± spread band) or bare
 * points, with the legend to the right of the plot so that it never covers a line. NaN points are
 * skipped.
 *
 * <p>Axes. Ticks fall on "nice" steps (1, 2 or 5 times a power of ten, at most 6 ticks); an axis
 * marked {@link #integerX() integer} (epochs) never gets a step below 1, so it shows no fractional
 * epochs. The x axis spans the data. The y axis is chosen so that noise does not read as a trend:
 * either fixed by the caller ({@link #yRange}: {@code [0, 1]} for rates and scores in that range,
 * {@code [1, G]} for a Vendi score of G images, 0 upward for distances), or automatic, spanning the
 * data (bands included) widened to at least a fifth of the largest magnitude shown
 * ({@link #MIN_RELATIVE_SPAN}), without crossing zero when the data does not, and rounded outward
 * to the tick step. See {@link #axisRange}.
 */
public final class LineChart {
    /** An automatic y axis spans at least this fraction of the largest |value| shown. */
    public static final double MIN_RELATIVE_SPAN = 0.2;
    /** Ticks per axis at most. */
    static final int MAX_TICKS = 6;

    private static final Color[] COLORS = {
        new Color(0x1f77b4), new Color(0xd62728), new Color(0x2ca02c), new Color(0xff7f0e),
        new Color(0x9467bd), new Color(0x8c564b), new Color(0xe377c2), new Color(0x7f7f7f)
    };

    /** How a series is drawn. */
    public enum Style {
        /** Points joined by a line. */
        LINE,
        /** Bare points: raw values whose joining line would suggest a trend they do not have. */
        POINTS
    }

    private record Series(String name, double[] x, double[] y, double[] spread, Style style) {}

    private final String title;
    private final String xLabel;
    private final String yLabel;
    private final List<Series> series = new ArrayList<>();
    private boolean integerX;
    private double yLow = Double.NaN;
    private double yHigh = Double.NaN;

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
        return add(name, x, y, null, Style.LINE);
    }

    /**
     * @param name legend entry
     * @param x x values
     * @param y y values (a mean), same length
     * @param spread the half-width of the shaded band around {@code y} (a standard deviation or
     *     standard error: say which in the legend), same length, or null for none
     * @return this
     */
    public LineChart add(String name, double[] x, double[] y, double[] spread) {
        return add(name, x, y, spread, Style.LINE);
    }

    /**
     * @param name legend entry
     * @param x x values
     * @param y y values, same length
     * @param spread half-width of a band around {@code y}, or null
     * @param style line or bare points
     * @return this
     */
    public LineChart add(String name, double[] x, double[] y, double[] spread, Style style) {
        if (x.length != y.length || (spread != null && spread.length != y.length)) {
            throw new IllegalArgumentException("series '" + name + "' has " + x.length + " x, " + y.length + " y and "
                    + (spread == null ? 0 : spread.length) + " spread values");
        }
        series.add(new Series(name, x.clone(), y.clone(), spread == null ? null : spread.clone(), style));
        return this;
    }

    /**
     * Marks x as a count (epochs): ticks on whole numbers only.
     *
     * @return this
     */
    public LineChart integerX() {
        integerX = true;
        return this;
    }

    /**
     * Fixes the y axis, or one end of it.
     *
     * @param low the bottom, or NaN for automatic
     * @param high the top, or NaN for automatic
     * @return this
     */
    public LineChart yRange(double low, double high) {
        yLow = low;
        yHigh = high;
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
     * The tick step: the smallest of 1, 2, 5 times a power of ten that puts at most
     * {@code maxTicks} intervals on the span.
     *
     * @param span the axis span, positive
     * @param maxTicks intervals at most
     * @param integer whether the step must be a whole number (at least 1)
     * @return the step
     */
    public static double niceStep(double span, int maxTicks, boolean integer) {
        if (!(span > 0) || !Double.isFinite(span)) {
            return 1;
        }
        double raw = span / maxTicks;
        double mag = Math.pow(10, Math.floor(Math.log10(raw)));
        double step = 10 * mag;
        for (double m : new double[] {1, 2, 5}) {
            if (m * mag >= raw * (1 - 1e-9)) {
                step = m * mag;
                break;
            }
        }
        return integer ? Math.max(1, Math.rint(step)) : step;
    }

    /**
     * @param low the axis' bottom
     * @param high the axis' top
     * @param step the tick step
     * @return the multiples of {@code step} in {@code [low, high]}, ascending
     */
    public static double[] ticks(double low, double high, double step) {
        List<Double> out = new ArrayList<>();
        double eps = 1e-9 * step;
        for (long k = (long) Math.ceil((low - eps) / step); k * step <= high + eps; k++) {
            double t = k * step;
            out.add(Math.abs(t) < eps ? 0.0 : t);
        }
        return out.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /**
     * The y axis rule (see the class comment): fixed ends are kept; the automatic ones span the
     * data, widened to at least {@code minSpan} (around the data's centre, shifted so as not to
     * cross zero when the data does not), then rounded outward to the tick step.
     *
     * @param dataLow the smallest value shown, or NaN when there is none
     * @param dataHigh the largest value shown, or NaN
     * @param fixedLow a fixed bottom, or NaN
     * @param fixedHigh a fixed top, or NaN
     * @param minSpan the smallest span of an automatic axis
     * @return {@code {low, high}}, {@code low < high}
     */
    public static double[] axisRange(double dataLow, double dataHigh, double fixedLow, double fixedHigh, double minSpan) {
        boolean autoLow = Double.isNaN(fixedLow);
        boolean autoHigh = Double.isNaN(fixedHigh);
        if (Double.isNaN(dataLow) || Double.isNaN(dataHigh)) {
            dataLow = autoHigh ? (autoLow ? 0 : fixedLow) : (autoLow ? fixedHigh - 1 : fixedLow);
            dataHigh = autoLow ? (autoHigh ? 1 : fixedHigh) : (autoHigh ? fixedLow + 1 : fixedHigh);
        }
        double lo = autoLow ? dataLow : fixedLow;
        double hi = autoHigh ? dataHigh : fixedHigh;
        if (!autoLow && !autoHigh) {
            return new double[] {lo, hi};
        }
        double span = Math.max(minSpan, 1e-12);
        if (hi - lo < span) {
            if (autoLow && autoHigh) {
                double c = (lo + hi) / 2;
                lo = c - span / 2;
                hi = c + span / 2;
                if (dataLow >= 0 && lo < 0) {
                    hi -= lo;
                    lo = 0;
                } else if (dataHigh <= 0 && hi > 0) {
                    lo -= hi;
                    hi = 0;
                }
            } else if (autoHigh) {
                hi = lo + span;
            } else {
                lo = hi - span;
            }
        }
        double step = niceStep(hi - lo, MAX_TICKS - 1, false);
        if (autoLow) {
            lo = Math.floor(lo / step + 1e-9) * step;
        }
        if (autoHigh) {
            hi = Math.ceil(hi / step - 1e-9) * step;
        }
        return new double[] {lo, hi};
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
        g.setRenderingHint(RenderingHints.KEY_TEXT_ANTIALIASING, RenderingHints.VALUE_TEXT_ANTIALIAS_ON);
        g.setColor(Color.WHITE);
        g.fillRect(0, 0, width, height);
        Font plain = new Font(Font.SANS_SERIF, Font.PLAIN, 11);
        g.setFont(plain);
        FontMetrics fm = g.getFontMetrics();
        int legendWidth = 0;
        for (Series s : series) {
            legendWidth = Math.max(legendWidth, fm.stringWidth(s.name()));
        }
        legendWidth = Math.min(legendWidth + 34, width * 2 / 5);
        int left = 64;
        int right = width - legendWidth - 16;
        int top = 40;
        int bottom = height - 42;

        double[] xd = dataRange(true);
        double xLo = Double.isNaN(xd[0]) ? 0 : xd[0];
        double xHi = Double.isNaN(xd[1]) ? 1 : xd[1];
        if (xHi - xLo < 1e-12) {
            xLo -= integerX ? 1 : 0.5;
            xHi += integerX ? 1 : 0.5;
        }
        double[] yd = dataRange(false);
        double magnitude = Math.max(Math.abs(Double.isNaN(yd[0]) ? 0 : yd[0]), Math.abs(Double.isNaN(yd[1]) ? 0 : yd[1]));
        double[] yr = axisRange(yd[0], yd[1], yLow, yHigh, magnitude > 0 ? MIN_RELATIVE_SPAN * magnitude : 1);
        double xStep = niceStep(xHi - xLo, MAX_TICKS, integerX);
        double yStep = niceStep(yr[1] - yr[0], MAX_TICKS - 1, false);

        g.setColor(Color.BLACK);
        g.setFont(new Font(Font.SANS_SERIF, Font.BOLD, 13));
        g.drawString(title, 10, 20);
        g.setFont(plain);
        for (double t : ticks(yr[0], yr[1], yStep)) {
            int yp = bottom - (int) Math.round((t - yr[0]) / (yr[1] - yr[0]) * (bottom - top));
            g.setColor(new Color(0xe6e6e6));
            g.drawLine(left + 1, yp, right - 1, yp);
            g.setColor(Color.BLACK);
            String label = format(t, yStep);
            g.drawString(label, left - 6 - fm.stringWidth(label), yp + 4);
        }
        for (double t : ticks(xLo, xHi, xStep)) {
            int xp = left + (int) Math.round((t - xLo) / (xHi - xLo) * (right - left));
            g.setColor(Color.BLACK);
            g.drawLine(xp, bottom, xp, bottom + 4);
            String label = format(t, xStep);
            g.drawString(label, xp - fm.stringWidth(label) / 2, bottom + 17);
        }
        g.setColor(Color.BLACK);
        g.drawRect(left, top, right - left, bottom - top);
        g.drawString(xLabel, (left + right) / 2 - fm.stringWidth(xLabel) / 2, height - 10);
        g.drawString(yLabel, 10, top - 6);

        g.setClip(left, top, right - left + 1, bottom - top + 1);
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            Color c = COLORS[k % COLORS.length];
            if (s.spread() != null) {
                g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
                for (Path2D band : bands(s, xLo, xHi, yr, left, right, top, bottom)) {
                    g.fill(band);
                }
            }
        }
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            g.setColor(COLORS[k % COLORS.length]);
            g.setStroke(new BasicStroke(2f));
            int px = Integer.MIN_VALUE;
            int py = 0;
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.y()[i]) || !Double.isFinite(s.x()[i])) {
                    px = Integer.MIN_VALUE;
                    continue;
                }
                int sx = sx(s.x()[i], xLo, xHi, left, right);
                int sy = sy(s.y()[i], yr, top, bottom);
                if (s.style() == Style.LINE && px != Integer.MIN_VALUE) {
                    g.drawLine(px, py, sx, sy);
                }
                if (s.style() == Style.POINTS) {
                    g.fillOval(sx - 3, sy - 3, 6, 6);
                } else {
                    g.fillOval(sx - 2, sy - 2, 5, 5);
                }
                px = sx;
                py = sy;
            }
        }
        g.setClip(null);
        int ly = top + 12;
        int lx = right + 12;
        for (int k = 0; k < series.size(); k++) {
            Series s = series.get(k);
            Color c = COLORS[k % COLORS.length];
            if (s.spread() != null) {
                g.setColor(new Color(c.getRed(), c.getGreen(), c.getBlue(), 50));
                g.fillRect(lx, ly - 10, 22, 12);
            }
            g.setColor(c);
            if (s.style() == Style.LINE) {
                g.drawLine(lx, ly - 4, lx + 22, ly - 4);
            } else {
                g.fillOval(lx + 8, ly - 7, 6, 6);
            }
            g.setColor(Color.BLACK);
            g.drawString(s.name(), lx + 28, ly);
            ly += 18;
        }
        g.dispose();
        return img;
    }

    /** Tick labels with as many decimals as the step needs. */
    static String format(double value, double step) {
        int decimals = Math.max(0, (int) -Math.floor(Math.log10(step) + 1e-9));
        return String.format(Locale.ROOT, "%." + decimals + "f", value);
    }

    private static List<Path2D> bands(Series s, double xLo, double xHi, double[] yr, int left, int right, int top,
            int bottom) {
        List<Path2D> out = new ArrayList<>();
        List<Integer> run = new ArrayList<>();
        for (int i = 0; i <= s.x().length; i++) {
            boolean ok = i < s.x().length && Double.isFinite(s.x()[i]) && Double.isFinite(s.y()[i])
                    && Double.isFinite(s.spread()[i]);
            if (ok) {
                run.add(i);
                continue;
            }
            if (!run.isEmpty()) {
                Path2D p = new Path2D.Double();
                for (int j = 0; j < run.size(); j++) {
                    int r = run.get(j);
                    int px = sx(s.x()[r], xLo, xHi, left, right);
                    int py = sy(s.y()[r] + s.spread()[r], yr, top, bottom);
                    if (j == 0) {
                        p.moveTo(px, py);
                    } else {
                        p.lineTo(px, py);
                    }
                }
                for (int j = run.size() - 1; j >= 0; j--) {
                    int r = run.get(j);
                    p.lineTo(sx(s.x()[r], xLo, xHi, left, right), sy(s.y()[r] - s.spread()[r], yr, top, bottom));
                }
                p.closePath();
                out.add(p);
                run.clear();
            }
        }
        return out;
    }

    private static int sx(double x, double lo, double hi, int left, int right) {
        return left + (int) Math.round((x - lo) / (hi - lo) * (right - left));
    }

    private static int sy(double y, double[] yr, int top, int bottom) {
        double v = Math.max(yr[0] - (yr[1] - yr[0]), Math.min(yr[1] + (yr[1] - yr[0]), y)); // keeps ints in range
        return bottom - (int) Math.round((v - yr[0]) / (yr[1] - yr[0]) * (bottom - top));
    }

    private static void writePng(BufferedImage img, Path file) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        ImageIO.write(img, "png", file.toFile());
    }

    /** The finite data range of x, or of y with the bands; NaNs when there is no finite value. */
    private double[] dataRange(boolean x) {
        double lo = Double.NaN;
        double hi = Double.NaN;
        for (Series s : series) {
            for (int i = 0; i < s.x().length; i++) {
                if (!Double.isFinite(s.x()[i]) || !Double.isFinite(s.y()[i])) {
                    continue;
                }
                double spread = !x && s.spread() != null && Double.isFinite(s.spread()[i]) ? Math.abs(s.spread()[i]) : 0;
                double a = x ? s.x()[i] : s.y()[i] - spread;
                double b = x ? s.x()[i] : s.y()[i] + spread;
                lo = Double.isNaN(lo) ? a : Math.min(lo, a);
                hi = Double.isNaN(hi) ? b : Math.max(hi, b);
            }
        }
        return new double[] {lo, hi};
    }
}
