package io.diffrl4j.rewards.metrics;

import java.util.function.IntUnaryOperator;
import java.util.function.ToDoubleFunction;

/**
 * Validation and conversion of feature matrices (rows = images, columns = feature dimensions),
 * shared by the metrics of this package. Everything is copied to double precision.
 */
final class FeatureMatrices {

    private FeatureMatrices() {
    }

    /**
     * @return a double-precision copy of {@code x} after checking it is non-null, has at least
     *     {@code minRows} rows, is rectangular with at least one column and holds only finite values
     */
    static double[][] toDouble(float[][] x, String name, int minRows) {
        return checkedCopy(x == null ? null : x.length, i -> x[i] == null ? -1 : x[i].length, (i, j) -> x[i][j],
                name, minRows);
    }

    /** Same as {@link #toDouble(float[][], String, int)} for double input (defensive copy). */
    static double[][] toDouble(double[][] x, String name, int minRows) {
        return checkedCopy(x == null ? null : x.length, i -> x[i] == null ? -1 : x[i].length, (i, j) -> x[i][j],
                name, minRows);
    }

    /**
     * The checked copy behind both {@code toDouble} overloads.
     *
     * @param rows the row count, null for a null matrix
     * @param rowLength the length of row {@code i}, -1 for a null row
     * @param cell the value at {@code [i][j]}
     */
    private static double[][] checkedCopy(Integer rows, IntUnaryOperator rowLength, Cell cell, String name,
            int minRows) {
        checkShape(rows, name, minRows);
        int d = rowLength(rowLength.applyAsInt(0), name, 0);
        double[][] out = new double[rows][];
        for (int i = 0; i < rows; i++) {
            checkRow(rowLength.applyAsInt(i), d, name, i);
            double[] r = new double[d];
            for (int j = 0; j < d; j++) {
                r[j] = checkFinite(cell.get(i, j), name, i, j);
            }
            out[i] = r;
        }
        return out;
    }

    /** One element of a float or double matrix, widened to double. */
    @FunctionalInterface
    private interface Cell {
        double get(int row, int col);
    }

    /**
     * The validated ({@link #toDouble(float[][], String, int)}) and L2-normalised
     * ({@link #normalizeRowsInPlace}) copy of the matrix {@code features}, as the cosine metrics use it.
     */
    static double[][] unitRows(float[][] features, int minRows) {
        return normalizeRowsInPlace(toDouble(features, "features", minRows), "features");
    }

    /** Same as {@link #unitRows(float[][], int)} for double input. */
    static double[][] unitRows(double[][] features, int minRows) {
        return normalizeRowsInPlace(toDouble(features, "features", minRows), "features");
    }

    /**
     * Applies {@code metric} to every group of {@code groupSize} consecutive rows of {@code x}.
     *
     * @return one value per group, in group order
     * @throws IllegalArgumentException when the rows do not split into whole groups of at least 2
     */
    static double[] perGroup(double[][] x, int groupSize, ToDoubleFunction<double[][]> metric) {
        checkGroups(x.length, groupSize);
        double[] out = new double[x.length / groupSize];
        for (int g = 0; g < out.length; g++) {
            out[g] = metric.applyAsDouble(rows(x, g * groupSize, groupSize));
        }
        return out;
    }

    /**
     * Divides every row by its Euclidean norm, in place.
     *
     * @throws IllegalArgumentException when a row is zero (its direction, hence any cosine, is
     *     undefined)
     */
    static double[][] normalizeRowsInPlace(double[][] x, String name) {
        for (int i = 0; i < x.length; i++) {
            double[] r = x[i];
            double norm = norm(r);
            if (!(norm > 0) || Double.isInfinite(norm)) {
                throw new IllegalArgumentException(
                        name + ": row " + i + " has norm " + norm + "; cosine geometry needs non-zero rows");
            }
            for (int j = 0; j < r.length; j++) {
                r[j] /= norm;
            }
        }
        return x;
    }

    /** Euclidean norm, scaled so that it neither overflows nor underflows for finite input. */
    static double norm(double[] r) {
        double scale = 0;
        for (double v : r) {
            scale = Math.max(scale, Math.abs(v));
        }
        if (scale == 0) {
            return 0;
        }
        double s = 0;
        for (double v : r) {
            double t = v / scale;
            s += t * t;
        }
        return scale * Math.sqrt(s);
    }

    /** Checks that {@code n} rows split into whole groups of {@code groupSize >= 2} rows. */
    static void checkGroups(int n, int groupSize) {
        if (groupSize < 2) {
            throw new IllegalArgumentException("groupSize must be >= 2, got " + groupSize);
        }
        if (n % groupSize != 0) {
            throw new IllegalArgumentException(
                    n + " rows do not split into whole groups of " + groupSize);
        }
    }

    /** Arithmetic mean of a non-empty array. */
    static double mean(double[] v) {
        double s = 0;
        for (double x : v) {
            s += x;
        }
        return s / v.length;
    }

    /** Rows {@code [from, from + count)} of {@code x} (shared, not copied). */
    static double[][] rows(double[][] x, int from, int count) {
        double[][] out = new double[count][];
        System.arraycopy(x, from, out, 0, count);
        return out;
    }

    private static void checkShape(Integer rows, String name, int minRows) {
        if (rows == null) {
            throw new IllegalArgumentException(name + " is null");
        }
        if (rows < minRows) {
            throw new IllegalArgumentException(name + " needs at least " + minRows + " rows, got " + rows);
        }
    }

    private static int rowLength(int length, String name, int row) {
        if (length < 1) {
            throw new IllegalArgumentException(name + ": row " + row + " is null or empty");
        }
        return length;
    }

    private static void checkRow(int length, int d, String name, int row) {
        if (length != d) {
            throw new IllegalArgumentException(
                    name + ": row " + row + " has length " + length + ", row 0 has " + d);
        }
    }

    private static double checkFinite(double v, String name, int row, int col) {
        if (!Double.isFinite(v)) {
            throw new IllegalArgumentException(name + ": non-finite value " + v + " at [" + row + "][" + col + "]");
        }
        return v;
    }
}
