package io.diffrl4j.rewards.clip;

/**
 * Pillow's {@code Image.resize(size, BICUBIC)} on 8-bit channels, reproduced operation for
 * operation (Pillow's {@code Resample.c}), because CLIPImageProcessor resizes through Pillow and the
 * scorers' numbers should be the ones users get from transformers.
 *
 * <p>The filter is Keys' cubic with a = -0.5 and support 2. When downscaling by a factor s the
 * filter is stretched to support 2s (antialiasing: every source pixel under the footprint
 * contributes); upscaling uses support 2. Each output pixel's weights are normalised to sum to 1,
 * then turned into 22-bit fixed point (rounded half away from zero); sums start at one half and are
 * clipped to [0, 255] after the shift. The horizontal pass runs first and its result is stored as
 * 8-bit values before the vertical pass; an axis whose size does not change is not resampled.
 * Stateless.
 */
final class PilBicubic {
    private static final int PRECISION_BITS = 32 - 8 - 2;
    private static final double SUPPORT = 2.0;

    private PilBicubic() {}

    /**
     * @param plane one channel, {@code inHeight x inWidth} values in [0, 255], row-major
     * @return the resized channel, {@code outHeight x outWidth}, values in [0, 255]
     */
    static int[] resize(int[] plane, int inWidth, int inHeight, int outWidth, int outHeight) {
        int[] out = plane;
        int width = inWidth;
        if (outWidth != inWidth) {
            Coefficients c = new Coefficients(inWidth, outWidth);
            out = new int[inHeight * outWidth];
            for (int y = 0; y < inHeight; y++) {
                for (int x = 0; x < outWidth; x++) {
                    out[y * outWidth + x] = c.apply(plane, y * inWidth, 1, x);
                }
            }
            width = outWidth;
        }
        if (outHeight != inHeight) {
            Coefficients c = new Coefficients(inHeight, outHeight);
            int[] rows = out;
            out = new int[outHeight * width];
            for (int y = 0; y < outHeight; y++) {
                for (int x = 0; x < width; x++) {
                    out[y * width + x] = c.apply(rows, x, width, y);
                }
            }
        }
        return out == plane ? plane.clone() : out;
    }

    /** Keys' cubic convolution kernel with a = -0.5, as Pillow's {@code bicubic_filter}. */
    static double filter(double x) {
        double a = -0.5;
        double t = Math.abs(x);
        if (t < 1) {
            return ((a + 2) * t - (a + 3)) * t * t + 1;
        }
        if (t < 2) {
            return (((t - 5) * t + 8) * t - 4) * a;
        }
        return 0;
    }

    /** Pillow's {@code precompute_coeffs} and {@code normalize_coeffs_8bpc} for one axis. */
    private static final class Coefficients {
        private final int size;
        private final int[] first;
        private final int[] count;
        private final int[] weights;

        Coefficients(int inSize, int outSize) {
            double scale = (double) inSize / outSize;
            double filterScale = Math.max(scale, 1.0);
            double support = SUPPORT * filterScale;
            double inverse = 1.0 / filterScale; // multiplied, not divided: the last bit matters
            size = (int) Math.ceil(support) * 2 + 1;
            first = new int[outSize];
            count = new int[outSize];
            weights = new int[outSize * size];
            double[] k = new double[size];
            for (int o = 0; o < outSize; o++) {
                double center = (o + 0.5) * scale;
                // (int) truncates towards zero, as the C cast does.
                int min = Math.max(0, (int) (center - support + 0.5));
                int n = Math.min(inSize, (int) (center + support + 0.5)) - min;
                double total = 0;
                for (int i = 0; i < n; i++) {
                    k[i] = filter((i + min - center + 0.5) * inverse);
                    total += k[i];
                }
                for (int i = 0; i < n; i++) {
                    double w = total != 0 ? k[i] / total : k[i];
                    weights[o * size + i] = (int) (w < 0 ? -0.5 + w * (1 << PRECISION_BITS)
                            : 0.5 + w * (1 << PRECISION_BITS));
                }
                first[o] = min;
                count[o] = n;
            }
        }

        /** @return output {@code o} from {@code values[offset + stride * i]}, i over the source positions */
        int apply(int[] values, int offset, int stride, int o) {
            int sum = 1 << (PRECISION_BITS - 1);
            int base = offset + stride * first[o];
            for (int i = 0; i < count[o]; i++) {
                sum += values[base + stride * i] * weights[o * size + i];
            }
            if (sum <= 0) {
                return 0;
            }
            return sum >= (1 << PRECISION_BITS << 8) ? 255 : sum >> PRECISION_BITS;
        }
    }
}
