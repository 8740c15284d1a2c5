package io.diffrl4j.models.mmdit;

/**
 * SD3's fixed 2D sin-cos positional embedding (diffusers' {@code get_2d_sincos_pos_embed}) for a
 * square grid of {@code gridSize} patches whose coordinates are scaled by {@code gridSize /
 * baseSize}, centre-cropped to the patch grid of the input image as {@code cropped_pos_embed} does.
 * The first half of each vector encodes the column, the second half the row; each half is
 * {@code [sin(pos * omega), cos(pos * omega)]} with {@code omega_k = 10000^(-k / (D/4))}.
 */
public final class SinCosPositionalEmbedding {
    private SinCosPositionalEmbedding() {}

    /**
     * @param dim embedding width D, a multiple of 4
     * @param gridSize side of the full grid in patches ({@code pos_embed_max_size})
     * @param baseSize {@code sample_size / patch_size}
     * @param height image height in patches, at most gridSize
     * @param width image width in patches, at most gridSize
     * @return row-major (height * width) x dim values
     */
    public static float[] cropped(int dim, int gridSize, int baseSize, int height, int width) {
        if (height > gridSize || width > gridSize) {
            throw new IllegalArgumentException("image of " + height + " x " + width
                    + " patches exceeds the positional embedding grid of " + gridSize + " x " + gridSize);
        }
        int top = (gridSize - height) / 2;
        int left = (gridSize - width) / 2;
        double scale = (double) gridSize / baseSize;
        int quarter = dim / 4;
        double[] omega = new double[quarter];
        for (int k = 0; k < quarter; k++) {
            omega[k] = 1.0 / Math.pow(10000, k / (dim / 4.0));
        }
        float[] out = new float[height * width * dim];
        for (int r = 0; r < height; r++) {
            // diffusers builds positions in float32 (arange / (grid / base)); match its rounding.
            double row = (float) ((top + r) / scale);
            for (int c = 0; c < width; c++) {
                double col = (float) ((left + c) / scale);
                int base = (r * width + c) * dim;
                for (int k = 0; k < quarter; k++) {
                    out[base + k] = (float) Math.sin(col * omega[k]);
                    out[base + quarter + k] = (float) Math.cos(col * omega[k]);
                    out[base + 2 * quarter + k] = (float) Math.sin(row * omega[k]);
                    out[base + 3 * quarter + k] = (float) Math.cos(row * omega[k]);
                }
            }
        }
        return out;
    }
}
