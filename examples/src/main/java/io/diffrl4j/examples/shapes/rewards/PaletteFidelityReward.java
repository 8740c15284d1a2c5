package io.diffrl4j.examples.shapes.rewards;

import io.diffrl4j.examples.shapes.Palette;

/**
 * How much of an image is drawn in the Shapes world's clean colours, ignoring the prompt (name
 * "palette_fidelity"): an auxiliary quality reward for GARDO's gate, cheap and independent of
 * what the prompt asks for.
 *
 * <p>Per pixel, the RGB distance {@code d} to the nearest of the five reference colours (the
 * background grey and the four {@link Palette} colours) scores {@code 1 - min(d, }{@value #SCALE}
 * {@code ) / }{@value #SCALE}; the image's score is the mean over its pixels. The scale is half of
 * the smallest distance between two reference colours (0.70), so a pixel half-way between two of
 * them (a smeared edge, a blend, an off-palette hue) scores 0 and an exact one scores 1. Crisp
 * renders score exactly 1.
 *
 * <p>Measured (see the test, 200 renders): ground-truth renders 1.000; Gaussian blur of sigma 1.2
 * 0.894; colour noise of sigma 0.05 0.773 and of 0.2 0.312; uniform noise 0.120. Scores are in
 * [0, 1]. Stateless and thread-safe.
 */
public final class PaletteFidelityReward extends PromptFreeReward {
    /** The reward's name in metrics. */
    public static final String NAME = "palette_fidelity";
    /** The distance at which a pixel's score reaches 0. */
    public static final double SCALE = 0.35;

    private static final float[][] REFERENCES = references();

    @Override
    public String name() {
        return NAME;
    }

    @Override
    protected String description() {
        return "palette fidelity";
    }

    /**
     * @param image {@code 3 x height x width} values
     * @param height rows
     * @param width columns
     * @return the mean per-pixel closeness to the nearest reference colour, in [0, 1]
     */
    @Override
    public double score(float[] image, int height, int width) {
        int plane = height * width;
        if (image.length != 3 * plane) {
            throw new IllegalArgumentException("image has " + image.length + " values, expected 3 x " + height + " x " + width);
        }
        double sum = 0;
        for (int p = 0; p < plane; p++) {
            float r = image[p];
            float g = image[plane + p];
            float b = image[2 * plane + p];
            double best = Double.POSITIVE_INFINITY;
            for (float[] c : REFERENCES) {
                double d2 = sq(r - c[0]) + sq(g - c[1]) + sq(b - c[2]);
                best = Math.min(best, d2);
            }
            // NaN pixels fall through min() as NaN; count them as the worst colour rather than poison the mean
            double d = Math.sqrt(best);
            sum += d < SCALE ? 1 - d / SCALE : 0;
        }
        return sum / plane;
    }

    private static float[][] references() {
        Palette[] p = Palette.values();
        float[][] out = new float[p.length + 1][];
        out[0] = new float[] {Palette.BACKGROUND, Palette.BACKGROUND, Palette.BACKGROUND};
        for (int i = 0; i < p.length; i++) {
            out[i + 1] = new float[] {p[i].red(), p[i].green(), p[i].blue()};
        }
        return out;
    }

    private static double sq(double v) {
        return v * v;
    }
}
