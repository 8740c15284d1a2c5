package io.diffrl4j.rewards.metrics;

import java.util.Arrays;
import java.util.function.BiFunction;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Eigendecomposition {@code A = V diag(values) V^T} of a real symmetric matrix, in double precision,
 * computed by LAPACK {@code dsyev} through ND4J's CPU backend (OpenBLAS).
 *
 * <p>Promises: eigenvalues are real and sorted ascending; eigenvectors are orthonormal and stored as
 * the <em>columns</em> of {@link #vectors()}, column {@code j} belonging to {@code values()[j]}
 * (each up to sign, and up to a rotation within a repeated eigenvalue). Accuracy is that of a
 * backward-stable solver: absolute errors of order {@code n * 1e-16 * max|eigenvalue|}.
 *
 * <p>Input: a square, finite matrix that is symmetric up to rounding. It is symmetrised as
 * {@code (A + A^T) / 2} first; an asymmetry above {@code 1e-8 * max|a_ij|} is rejected as
 * a caller bug. The input array is never modified.
 *
 * <p>Cost: eigenvalues only ({@link #eigenvalues(double[][])}) are much cheaper than a full
 * decomposition (for {@code n = 2048} on two cores, about 0.4 s against 9 s); prefer them when the
 * vectors are not needed. Immutable and thread-safe; the first call loads ND4J's native backend
 * (about 2 s).
 */
public final class SymmetricEigen {

    private static final double ASYMMETRY_TOLERANCE = 1e-8;

    private final double[] values;
    private final double[][] vectors;

    private SymmetricEigen(double[] values, double[][] vectors) {
        this.values = values;
        this.vectors = vectors;
    }

    /**
     * Full decomposition: eigenvalues and eigenvectors.
     *
     * @param a symmetric {@code n x n} matrix, {@code n >= 1}
     * @return the decomposition
     * @throws IllegalArgumentException when {@code a} is not square, finite and symmetric
     * @throws ArithmeticException when LAPACK reports that the iteration did not converge
     */
    public static SymmetricEigen decompose(double[][] a) {
        double[][] s = checkedSymmetric(a);
        if (s.length == 1) {
            return new SymmetricEigen(new double[] {s[0][0]}, new double[][] {{1.0}});
        }
        return lapack(s, 'V', (w, m) -> new SymmetricEigen(w.toDoubleVector(), m.toDoubleMatrix()));
    }

    /**
     * Eigenvalues only.
     *
     * @param a symmetric {@code n x n} matrix, {@code n >= 1}
     * @return the {@code n} eigenvalues, ascending
     * @throws IllegalArgumentException when {@code a} is not square, finite and symmetric
     * @throws ArithmeticException when LAPACK reports that the iteration did not converge
     */
    public static double[] eigenvalues(double[][] a) {
        double[][] s = checkedSymmetric(a);
        if (s.length == 1) {
            return new double[] {s[0][0]};
        }
        return lapack(s, 'N', (w, m) -> w.toDoubleVector());
    }

    /**
     * Runs {@link #syev} with {@code jobz} on a native copy of the checked {@code s} and reads the result from the
     * eigenvalues {@code w} and the matrix {@code m} (the eigenvectors when {@code jobz} is 'V') before both are
     * released.
     */
    private static <T> T lapack(double[][] s, char jobz, BiFunction<INDArray, INDArray, T> read) {
        int n = s.length;
        INDArray m = null;
        INDArray w = null;
        try {
            m = Nd4j.createFromArray(s);
            w = Nd4j.create(DataType.DOUBLE, n);
            syev(jobz, m, w, n);
            return read.apply(w, m);
        } finally {
            Nd4jMatrices.release(w);
            Nd4jMatrices.release(m);
        }
    }

    /**
     * The principal square root {@code V diag(sqrt(l)) V^T} of a symmetric positive semi-definite
     * matrix: the unique symmetric PSD {@code R} with {@code R R = A}.
     *
     * <p>Eigenvalues at or below the numerical-rank threshold {@link #negligibleBelow(double[], int)}
     * ({@code n * ulp(1) * max|eigenvalue|}, the NumPy {@code matrix_rank} convention), negative
     * ones included, are set to exactly zero: they are rounding noise, and their square roots
     * (about {@code 1e-8 * sqrt(max eigenvalue)}) would otherwise leak into the result. A matrix
     * with a clearly negative eigenvalue (below {@code -threshold}) is not PSD and is rejected.
     *
     * @param a symmetric positive semi-definite {@code n x n} matrix
     * @return the symmetric PSD square root, a new array
     * @throws IllegalArgumentException when {@code a} is not symmetric PSD (up to rounding)
     */
    public static double[][] sqrtPsd(double[][] a) {
        SymmetricEigen e = decompose(a);
        int n = e.values.length;
        double tol = negligibleBelow(e.values, n);
        double[] root = new double[n];
        for (int j = 0; j < n; j++) {
            double l = e.values[j];
            if (l < -tol) {
                throw new IllegalArgumentException(
                        "matrix is not positive semi-definite: eigenvalue " + l + " (threshold " + tol + ")");
            }
            root[j] = l > tol ? Math.sqrt(l) : 0.0;
        }
        // R = (V diag(root)) V^T, symmetrised to remove the rounding asymmetry of the product.
        double[][] scaled = new double[n][n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                scaled[i][j] = e.vectors[i][j] * root[j];
            }
        }
        return Nd4jMatrices.symmetrize(Nd4jMatrices.multiply(scaled, false, e.vectors, true));
    }

    /**
     * Numerical-rank threshold for the eigenvalues of an {@code n x n} symmetric matrix:
     * {@code n * ulp(1) * max|eigenvalue|}. Eigenvalues at or below it in magnitude cannot be told
     * apart from zero after a backward-stable eigensolver.
     *
     * @param values eigenvalues
     * @param n matrix dimension
     * @return the threshold, {@code >= 0}
     */
    public static double negligibleBelow(double[] values, int n) {
        double max = 0;
        for (double v : values) {
            max = Math.max(max, Math.abs(v));
        }
        return n * Math.ulp(1.0) * max;
    }

    /** @return the eigenvalues, ascending (a copy) */
    public double[] values() {
        return values.clone();
    }

    /** @return the eigenvectors as columns: {@code vectors()[i][j]} is component {@code i} of vector {@code j} (a copy) */
    public double[][] vectors() {
        double[][] out = new double[vectors.length][];
        for (int i = 0; i < vectors.length; i++) {
            out[i] = vectors[i].clone();
        }
        return out;
    }

    /** @return the matrix dimension {@code n} */
    public int size() {
        return values.length;
    }

    @Override
    public String toString() {
        return "SymmetricEigen" + Arrays.toString(values);
    }

    private static void syev(char jobz, INDArray m, INDArray w, int n) {
        int info = Nd4j.getBlasWrapper().lapack().syev(jobz, 'L', m, w);
        if (info != 0) {
            throw new ArithmeticException("LAPACK dsyev failed on a " + n + "x" + n + " matrix, info=" + info);
        }
    }

    /** Validates {@code a} and returns {@code (a + a^T) / 2} as a new array. */
    private static double[][] checkedSymmetric(double[][] a) {
        if (a == null || a.length == 0) {
            throw new IllegalArgumentException("matrix is null or empty");
        }
        int n = a.length;
        double max = 0;
        for (int i = 0; i < n; i++) {
            if (a[i] == null || a[i].length != n) {
                throw new IllegalArgumentException("matrix is not square: row " + i + " of a " + n + "-row matrix");
            }
            for (int j = 0; j < n; j++) {
                double v = a[i][j];
                if (!Double.isFinite(v)) {
                    throw new IllegalArgumentException("non-finite entry " + v + " at [" + i + "][" + j + "]");
                }
                max = Math.max(max, Math.abs(v));
            }
        }
        double tol = ASYMMETRY_TOLERANCE * max;
        double[][] s = new double[n][n];
        for (int i = 0; i < n; i++) {
            s[i][i] = a[i][i];
            for (int j = 0; j < i; j++) {
                double gap = Math.abs(a[i][j] - a[j][i]);
                if (gap > tol) {
                    throw new IllegalArgumentException(
                            "matrix is not symmetric: |a[" + i + "][" + j + "] - a[" + j + "][" + i + "]| = " + gap);
                }
                double v = 0.5 * (a[i][j] + a[j][i]);
                s[i][j] = v;
                s[j][i] = v;
            }
        }
        return s;
    }
}
