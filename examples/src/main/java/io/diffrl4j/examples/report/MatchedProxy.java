package io.diffrl4j.examples.report;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * "Hacks less" made measurable: the gold a run has kept when its proxy has risen by a given amount,
 * read along its held-out trajectory, so that methods that move at different speeds are compared
 * at equal proxy gain instead of at equal epochs (a method that moves less always looks safer at
 * equal epochs).
 *
 * <p>A trajectory is the held-out proxy and gold at the evaluation epochs, the base model first.
 * {@link #goldChangeAt} walks it from the start and returns the gold change at the first point
 * where the proxy gain reaches the target, interpolating linearly between the two evaluations that
 * bracket it; a run that never reaches the target gives NaN (it is counted, not imputed).
 */
public final class MatchedProxy {
    private static final double TOLERANCE = 1e-9;

    private MatchedProxy() {}

    /**
     * @param proxy held-out proxy at the evaluation epochs, the base model first
     * @param gold held-out gold at the same epochs
     * @param gain the proxy gain over the first point to match, {@code > 0}
     * @return the gold change from the first point where the gain is first reached, NaN when it
     *     never is
     * @throws IllegalArgumentException when the arrays differ in length or are empty
     */
    public static double goldChangeAt(double[] proxy, double[] gold, double gain) {
        if (proxy.length != gold.length || proxy.length == 0) {
            throw new IllegalArgumentException("a trajectory needs as many gold as proxy values, at least one; got "
                    + proxy.length + " and " + gold.length);
        }
        if (!(gain > 0)) {
            throw new IllegalArgumentException("the proxy gain to match must be > 0, got " + gain);
        }
        double target = proxy[0] + gain;
        for (int i = 1; i < proxy.length; i++) {
            // A gain met to rounding counts as met: 0.6 - 0.4 is 0.19999999999999998 in doubles.
            if (proxy[i] >= target - TOLERANCE) {
                // proxy[i - 1] < target here (else the walk would have stopped there).
                double f = Math.min(1, (target - proxy[i - 1]) / (proxy[i] - proxy[i - 1]));
                return gold[i - 1] + f * (gold[i] - gold[i - 1]) - gold[0];
            }
        }
        return Double.NaN;
    }

    /** @return the largest proxy gain over the first point along the trajectory (0 when it never rises) */
    public static double maxGain(double[] proxy) {
        double best = 0;
        for (double p : proxy) {
            best = Math.max(best, p - proxy[0]);
        }
        return best;
    }

    /**
     * The upper-left frontier of a set of (proxy, gold) points: those that no other point beats on
     * both (a higher or equal proxy with a higher or equal gold, one of them strictly), sorted by proxy.
     *
     * @param proxy the points' proxy values
     * @param gold the points' gold values
     * @return {@code {proxy[], gold[]}} of the frontier points
     */
    public static double[][] frontier(double[] proxy, double[] gold) {
        Integer[] order = new Integer[proxy.length];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        // Highest proxy first (ties: highest gold first); a point is on the frontier when its gold
        // beats every point with a higher proxy.
        Arrays.sort(order, Comparator.<Integer>comparingDouble(i -> -proxy[i]).thenComparingDouble(i -> -gold[i]));
        List<double[]> kept = new ArrayList<>();
        double bestGold = Double.NEGATIVE_INFINITY;
        for (int i : order) {
            if (!Double.isFinite(proxy[i]) || !Double.isFinite(gold[i])) {
                continue;
            }
            if (gold[i] > bestGold) {
                kept.add(new double[] {proxy[i], gold[i]});
                bestGold = gold[i];
            }
        }
        kept.sort(Comparator.comparingDouble(p -> p[0]));
        double[][] out = new double[2][kept.size()];
        for (int k = 0; k < kept.size(); k++) {
            out[0][k] = kept.get(k)[0];
            out[1][k] = kept.get(k)[1];
        }
        return out;
    }
}
