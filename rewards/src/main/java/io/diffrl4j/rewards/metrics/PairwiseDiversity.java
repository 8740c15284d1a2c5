package io.diffrl4j.rewards.metrics;

/**
 * Mean pairwise cosine distance of feature vectors: the average of {@code 1 - cos(x_i, x_j)} over
 * all unordered pairs {@code i < j}, the "within-group diversity" of DiffRL4J's held-out metrics.
 *
 * <p>Rows are L2-normalised first, so only directions matter. Dimensionless, in
 * {@code [0, 1 + 1/(n-1)]}, a subset of {@code [0, 2]}: 0 when all vectors point the same way
 * (duplicates), 1 for mutually orthogonal vectors (and, on average, for random directions in high
 * dimension), 2 only for two opposite vectors.
 *
 * <p>Computed in {@code O(n d)} from the identity
 * {@code sum_{i != j} u_i . u_j = |sum_i u_i|^2 - n} for unit vectors {@code u_i}, in double
 * precision (absolute error of order {@code n * 1e-16}); the result is clamped to {@code [0, 2]}.
 *
 * <p>Inputs: rows are images (in group order for the grouped variants), all rows of the same length,
 * finite and non-zero. Stateless and thread-safe; needs no native code.
 */
public final class PairwiseDiversity {

    private PairwiseDiversity() {
    }

    /**
     * @param features {@code n >= 2} feature vectors
     * @return mean cosine distance over all {@code n (n - 1) / 2} pairs, in {@code [0, 2]}
     * @throws IllegalArgumentException on fewer than 2 rows, ragged, non-finite or zero rows
     */
    public static double overall(float[][] features) {
        return meanCosineDistance(FeatureMatrices.unitRows(features, 2));
    }

    /**
     * Double-precision variant of {@link #overall(float[][])}.
     *
     * @param features {@code n >= 2} feature vectors
     * @return mean cosine distance over all pairs, in {@code [0, 2]}
     */
    public static double overall(double[][] features) {
        return meanCosineDistance(FeatureMatrices.unitRows(features, 2));
    }

    /**
     * Within-group diversity: rows {@code [g G, (g + 1) G)} form group {@code g}; only pairs inside
     * a group are compared.
     *
     * @param features {@code n} feature vectors in group order, {@code n} a multiple of {@code groupSize}
     * @param groupSize rows per group {@code G >= 2}
     * @return the mean over groups of the per-group mean cosine distance (equal to the mean over all
     *     within-group pairs, since groups are equally large), in {@code [0, 2]}
     * @throws IllegalArgumentException on bad shapes, non-finite or zero rows
     */
    public static double withinGroups(float[][] features, int groupSize) {
        return FeatureMatrices.mean(perGroup(features, groupSize));
    }

    /**
     * Double-precision variant of {@link #withinGroups(float[][], int)}.
     *
     * @param features feature vectors in group order
     * @param groupSize rows per group {@code G >= 2}
     * @return the mean of the per-group mean cosine distances, in {@code [0, 2]}
     */
    public static double withinGroups(double[][] features, int groupSize) {
        return FeatureMatrices.mean(perGroup(features, groupSize));
    }

    /**
     * @param features {@code n} feature vectors in group order, {@code n} a multiple of {@code groupSize}
     * @param groupSize rows per group {@code G >= 2}
     * @return one mean cosine distance per group, in group order, each in {@code [0, 2]}
     * @throws IllegalArgumentException on bad shapes, non-finite or zero rows
     */
    public static double[] perGroup(float[][] features, int groupSize) {
        return FeatureMatrices.perGroup(FeatureMatrices.unitRows(features, 1), groupSize,
                PairwiseDiversity::meanCosineDistance);
    }

    /**
     * Double-precision variant of {@link #perGroup(float[][], int)}.
     *
     * @param features feature vectors in group order
     * @param groupSize rows per group {@code G >= 2}
     * @return one mean cosine distance per group, in group order
     */
    public static double[] perGroup(double[][] features, int groupSize) {
        return FeatureMatrices.perGroup(FeatureMatrices.unitRows(features, 1), groupSize,
                PairwiseDiversity::meanCosineDistance);
    }

    /** Mean of {@code 1 - u_i . u_j} over the pairs of {@code n >= 2} unit rows. */
    private static double meanCosineDistance(double[][] unit) {
        int n = unit.length;
        int d = unit[0].length;
        double[] sum = new double[d];
        double self = 0; // sum of |u_i|^2, n up to rounding
        for (int i = 0; i < n; i++) {
            double[] u = unit[i];
            for (int j = 0; j < d; j++) {
                sum[j] += u[j];
                self += u[j] * u[j];
            }
        }
        double sq = 0;
        for (double v : sum) {
            sq += v * v;
        }
        double meanCos = (sq - self) / ((double) n * (n - 1));
        return Math.min(2.0, Math.max(0.0, 1.0 - meanCos));
    }
}
