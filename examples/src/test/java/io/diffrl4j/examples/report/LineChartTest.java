package io.diffrl4j.examples.report;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.awt.image.BufferedImage;
import java.nio.file.Path;
import java.util.List;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LineChartTest {
    private static final double NAN = Double.NaN;

    @Test
    void ticksFallOnOneTwoFiveStepsAndEpochsOnWholeNumbers() {
        assertEquals(5, LineChart.niceStep(30, 6, true), 0.0);
        assertEquals(5, LineChart.niceStep(20, 6, true), 0.0);
        assertEquals(2, LineChart.niceStep(10, 6, true), 0.0);
        // 3 epochs would get a 0.5 step (the 7.50 and 15.3 labels); whole epochs get 1
        assertEquals(0.5, LineChart.niceStep(3, 6, false), 0.0);
        assertEquals(1, LineChart.niceStep(3, 6, true), 0.0);
        assertEquals(1, LineChart.niceStep(1, 6, true), 0.0);
        assertEquals(0.2, LineChart.niceStep(1, 5, false), 1e-15);
        assertEquals(0.1, LineChart.niceStep(0.37, 5, false), 1e-15);
        assertEquals(20, LineChart.niceStep(61, 6, true), 0.0);
        assertArrayEquals(new double[] {0, 5, 10, 15, 20, 25, 30}, LineChart.ticks(0, 30, 5), 1e-12);
        assertArrayEquals(new double[] {0.2, 0.4, 0.6, 0.8}, LineChart.ticks(0.1, 0.95, 0.2), 1e-12);
        assertArrayEquals(new double[] {1, 2, 3}, LineChart.ticks(1, 3, 1), 0.0);
        assertEquals("10", LineChart.format(10, 5));
        assertEquals("7.5", LineChart.format(7.5, 0.5));
        assertEquals("0.26", LineChart.format(0.26, 0.02));
    }

    @Test
    void theYAxisDoesNotMagnifyNoise() {
        // a rate is drawn on [0, 1] whatever its values
        assertArrayEquals(new double[] {0, 1}, LineChart.axisRange(0.40, 0.45, 0, 1, 0.09), 0.0);
        // automatic: a 0.02 wobble around 0.31 gets at least a fifth of 0.32 (0.064), rounded out to 0.02 ticks
        assertArrayEquals(new double[] {0.26, 0.36}, LineChart.axisRange(0.30, 0.32, NAN, NAN, 0.2 * 0.32), 1e-12);
        // a wide range is kept, rounded out to its ticks
        assertArrayEquals(new double[] {0, 3}, LineChart.axisRange(0.1, 2.9, NAN, NAN, 0.58), 1e-12);
        // widening does not cross zero when the data does not
        assertArrayEquals(new double[] {0, 1}, LineChart.axisRange(0.001, 0.002, NAN, NAN, 1), 1e-12);
        assertArrayEquals(new double[] {-1, 0}, LineChart.axisRange(-0.002, -0.001, NAN, NAN, 1), 1e-12);
        // a distance from 0 upward
        assertArrayEquals(new double[] {0, 0.4}, LineChart.axisRange(0.30, 0.35, 0, NAN, 0.07), 1e-12);
        // no data at all
        assertArrayEquals(new double[] {0, 1}, LineChart.axisRange(NAN, NAN, NAN, NAN, 1), 0.0);
        assertArrayEquals(new double[] {1, 3}, LineChart.axisRange(NAN, NAN, 1, 3, 1), 0.0);
    }

    @Test
    void rendersBandsPointsAndALegendBesideThePlot(@TempDir Path dir) throws Exception {
        double[] x = {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10};
        double[] y = {0.5, 0.52, NAN, 0.55, 0.5, 0.6, 0.58, 0.61, 0.6, 0.62, 0.63};
        double[] s = new double[x.length];
        java.util.Arrays.fill(s, 0.03);
        Path file = dir.resolve("sub/chart.png");
        new LineChart("t", "epoch", "v").integerX().yRange(0, 1)
                .add("per epoch", x, y, null, LineChart.Style.POINTS)
                .add("moving average ± standard error", x, y, s)
                .add("held-out", new double[] {0, 10}, new double[] {0.4, 0.45})
                .write(file, 700, 300);
        BufferedImage img = ImageIO.read(file.toFile());
        assertEquals(700, img.getWidth());
        assertEquals(300, img.getHeight());
        // the plot's frame ends left of the legend: the rightmost columns hold only legend text or white
        int frame = -1;
        for (int px = img.getWidth() - 1; px > 0 && frame < 0; px--) {
            if ((img.getRGB(px, img.getHeight() - 42) & 0xffffff) == 0) {
                frame = px;
            }
        }
        assertTrue(frame > 300 && frame < 700 - 150, "right edge of the plot at " + frame);
        BufferedImage grid = new LineChart("a", "epoch", "v").add("x", x, y).render(320, 200);
        assertEquals(320, grid.getWidth());
        LineChart.writeGrid(List.of(new LineChart("a", "e", "v"), new LineChart("b", "e", "v").add("x", x, y)), 2, 320, 200,
                dir.resolve("grid.png"));
        assertEquals(640, ImageIO.read(dir.resolve("grid.png").toFile()).getWidth());
        assertThrows(IllegalArgumentException.class, () -> new LineChart("t", "x", "y").add("bad", x, y, new double[2]));
    }
}
