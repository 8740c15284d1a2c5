package io.diffrl4j.rewards.metrics;

/**
 * Vendi score of a set of feature vectors (Friedman &amp; Dieng 2023, order {@code q = 1}): the
 * exponential of the Shannon entropy of the eigenvalues of {@code K / n}, where
 * {@code K_ij = cos(x_i, x_j)} is the cosine-similarity kernel of the {@code n} L2-normalised rows.
 *
 * <p>Interpretation: the effective number of distinct items. Dimensionless, in
 * {@code [1, min(n, d)]}: 1 when all vectors are parallel (duplicates), {@code n} when they are
 * mutually orthogonal. Eigenvalues are clipped at 0 and {@code 0 log 0 = 0}; they are not
 * renormalised (they sum to {@code tr(K) / n = 1} up to rounding).
 *
 * <p>Computed from the eigenvalues of the smaller of the two Gram matrices {@code U U^T / n}
 * ({@code n x n}) and {@code U^T U / n} ({@code d x d}), which share their non-zero eigenvalues,
 * in double precision through {@link SymmetricEigen}.
 *
 * <p>Inputs: rows are images (in group order for the grouped variants), all rows of the same length,
 * finite and non-zero. Stateless and thread-safe.
 */
public final class VendiScore {

    private VendiScore() {
    }

    /**
     * @param features {@code n >= 1} feature vectors
     * @return the Vendi score of all rows, in {@code [1, min(n, d)]}
     * @throws IllegalArgumentException on an empty, ragged, non-finite input or a zero row
     */
    public static double overall(float[][] features) {
        return of(FeatureMatrices.unitRows(features, 1));
    }

    /**
     * Double-precision variant of {@link #overall(float[][])}.
     *
     * @param features {@code n >= 1} feature vectors
     * @return the Vendi score of all rows, in {@code [1, min(n, d)]}
     */
    public static double overall(double[][] features) {
        return of(FeatureMatrices.unitRows(features, 1));
    }

    /**
     * Within-group Vendi score: rows {@code [g G, (g + 1) G)} form group {@code g}.
     *
     * @param features {@code n} feature vectors in group order, {@code n} a multiple of {@code groupSize}
     * @param groupSize rows per group {@code G >= 2}
     * @return the mean of the per-group scores, in {@code [1, min(G, d)]}
     * @throws IllegalArgumentException on bad shapes, non-finite input or a zero row
     */
    public static double withinGroups(float[][] features, int groupSize) {
        return FeatureMatrices.mean(perGroup(features, groupSize));
    }

    /**
     * Double-precision variant of {@link #withinGroups(float[][], int)}.
     *
     * @param features feature vectors in group order
     * @param groupSize rows per group {@code G >= 2}
     * @return the mean of the per-group scores
     */
    public static double withinGroups(double[][] features, int groupSize) {
        return FeatureMatrices.mean(perGroup(features, groupSize));
    }

    /**
     * @param features {@code n} feature vectors in group order, {@code n} a multiple of {@code groupSize}
     * @param groupSize rows per group {@code G >= 2}
     * @return one Vendi score per group, in group order, each in {@code [1, min(G, d)]}
     * @throws IllegalArgumentException on bad shapes, non-finite input or a zero row
     */
    public static double[] perGroup(float[][] features, int groupSize) {
        return FeatureMatrices.perGroup(FeatureMatrices.unitRows(features, 1), groupSize, VendiScore::of);
    }

    /**
     * Double-precision variant of {@link #perGroup(float[][], int)}.
     *
     * @param features feature vectors in group order
     * @param groupSize rows per group {@code G >= 2}
     * @return one Vendi score per group, in group order
     */
    public static double[] perGroup(double[][] features, int groupSize) {
        return FeatureMatrices.perGroup(FeatureMatrices.unitRows(features, 1), groupSize, VendiScore::of);
    }

    /**
     * Exponential of the Shannon entropy {@code -sum p log p} of the given eigenvalues, after
     * clipping negatives to 0 (with {@code 0 log 0 = 0}); no renormalisation.
     *
     * @param eigenvalues eigenvalues of a trace-1 PSD matrix such as {@code K / n}
     * @return {@code exp(entropy)}
     */
    public static double fromEigenvalues(double[] eigenvalues) {
        double entropy = 0;
        for (double l : eigenvalues) {
            if (l > 0) {
                entropy -= l * Math.log(l);
            }
        }
        return Math.exp(entropy);
    }

    /** Vendi score of unit rows. */
    private static double of(double[][] unit) {
        int n = unit.length;
        int d = unit[0].length;
        if (n == 1) {
            return 1.0;
        }
        double[][] gram = n <= d ? Nd4jMatrices.rowGram(unit) : Nd4jMatrices.columnGram(unit);
        double[] eig = SymmetricEigen.eigenvalues(gram);
        for (int i = 0; i < eig.length; i++) {
            eig[i] /= n;
        }
        return fromEigenvalues(eig);
    }
}
