package io.diffrl4j.models.testing;

/** Reference softmax attention in double precision, written out loop by loop for the hand-checked model tests. */
public final class ReferenceAttention {
    private ReferenceAttention() {}

    /**
     * Unmasked multi-head attention: each head is a contiguous block of {@code D / heads} columns, and its
     * scores are scaled by {@code 1 / sqrt(D / heads)} and softmaxed (max subtracted) over the keys.
     *
     * @param q queries, T x D
     * @param k keys, T x D
     * @param v values, T x D
     * @param heads the number of heads, dividing D
     * @return the attended values, T x D (before any output projection)
     */
    public static double[][] attention(double[][] q, double[][] k, double[][] v, int heads) {
        int t = q.length;
        int d = q[0].length;
        int dh = d / heads;
        double[][] attended = new double[t][d];
        for (int head = 0; head < heads; head++) {
            for (int i = 0; i < t; i++) {
                double[] scores = new double[t];
                double max = Double.NEGATIVE_INFINITY;
                for (int j = 0; j < t; j++) {
                    for (int e = 0; e < dh; e++) {
                        scores[j] += q[i][head * dh + e] * k[j][head * dh + e];
                    }
                    scores[j] /= Math.sqrt(dh);
                    max = Math.max(max, scores[j]);
                }
                double total = 0;
                for (int j = 0; j < t; j++) {
                    scores[j] = Math.exp(scores[j] - max);
                    total += scores[j];
                }
                for (int j = 0; j < t; j++) {
                    for (int e = 0; e < dh; e++) {
                        attended[i][head * dh + e] += scores[j] / total * v[j][head * dh + e];
                    }
                }
            }
        }
        return attended;
    }
}
