package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.reward.RewardBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * GARDO's reward uncertainty (docs/ALGORITHMS.md 6.1): how each image's standing under the proxy
 * reward differs from its mean standing under the auxiliary rewards. The record holds the settings
 * of the measure {@link GatedKl} gates by; its top-k gate and standings are pure host functions, so
 * that they can be checked on hand-made reward tables and reused by custom gates.
 *
 * <p>All arrays are per image in prompt order (the order of a {@link RewardBatch}); nothing here
 * keeps state or touches NDArrays.
 *
 * @param form the standing each reward is turned into (paper: {@link UncertaintyForm#WIN_RATE})
 * @param sign the direction of the difference (paper: {@link UncertaintySign#PROXY_MINUS_AUXILIARY})
 * @param scope where standings are computed (paper: {@link UncertaintyScope#BATCH})
 * @param auxiliaries the auxiliary rewards compared with, by name; empty (the paper's) means every
 *     auxiliary reward the trainer scored ({@code RewardBatch.auxiliaryNames()})
 */
public record RewardUncertainty(UncertaintyForm form, UncertaintySign sign, UncertaintyScope scope, List<String> auxiliaries) {
    /** Checks every setting and names the first bad one; freezes the names. */
    public RewardUncertainty {
        if (form == null || sign == null || scope == null) {
            throw new IllegalArgumentException("the uncertainty needs a form, a sign and a scope, got " + form + ", " + sign
                    + ", " + scope);
        }
        if (auxiliaries == null) {
            throw new IllegalArgumentException("auxiliaries must not be null (use an empty list for all)");
        }
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String a : auxiliaries) {
            if (a == null || a.isBlank()) {
                throw new IllegalArgumentException("auxiliaries must not contain blank names, got " + auxiliaries);
            }
            if (!seen.add(a)) {
                throw new IllegalArgumentException("auxiliaries name '" + a + "' twice");
            }
        }
        auxiliaries = List.copyOf(auxiliaries);
    }

    /** @return the paper's measure: win-rates over the whole batch, proxy minus auxiliary, every auxiliary */
    public static RewardUncertainty paper() {
        return new RewardUncertainty(UncertaintyForm.WIN_RATE, UncertaintySign.PROXY_MINUS_AUXILIARY, UncertaintyScope.BATCH,
                List.of());
    }

    /**
     * @return the official code's measure: descending ranks over the whole batch,
     *     {@code rank_proxy - mean rank_aux} (positive when the proxy rates the sample lower than the
     *     auxiliaries; see {@link UncertaintySign})
     */
    public static RewardUncertainty officialCode() {
        return new RewardUncertainty(UncertaintyForm.RANK, UncertaintySign.PROXY_MINUS_AUXILIARY, UncertaintyScope.BATCH,
                List.of());
    }

    /** @param names auxiliary rewards by name (empty: all) @return this measure over those rewards */
    public RewardUncertainty withAuxiliaries(List<String> names) {
        return new RewardUncertainty(form, sign, scope, names);
    }

    @Override
    public String toString() {
        return form + ", " + sign + ", " + scope + ", auxiliaries=" + (auxiliaries.isEmpty() ? "all" : auxiliaries);
    }

    /**
     * @param rewards the epoch's scores
     * @return {@code U_i} per image
     * @throws IllegalStateException when the batch has none of the auxiliary rewards the gate needs
     * @throws IllegalArgumentException when a configured auxiliary is not among the scored rewards
     */
    public double[] uncertainty(RewardBatch rewards) {
        List<String> names = auxiliaryNames(rewards);
        List<double[]> aux = new ArrayList<>(names.size());
        for (String n : names) {
            aux.add(rewards.get(n));
        }
        int scopeSize = scope == UncertaintyScope.BATCH ? rewards.size() : rewards.groupSize();
        return uncertainty(rewards.proxy(), aux, scopeSize, form, sign);
    }

    /**
     * @param rewards the epoch's scores
     * @return the auxiliary rewards the gate compares with: {@link #auxiliaries()}, or all when empty
     * @throws IllegalStateException when there are none
     * @throws IllegalArgumentException when a configured name is missing or is the proxy
     */
    public List<String> auxiliaryNames(RewardBatch rewards) {
        List<String> names = auxiliaries.isEmpty() ? rewards.auxiliaryNames() : auxiliaries;
        if (names.isEmpty()) {
            throw new IllegalStateException("GARDO's gate compares the proxy reward '" + rewards.proxyName()
                    + "' with auxiliary rewards, but none were scored: add at least one with "
                    + "Trainer.Builder.addAuxiliaryReward (the paper uses Aesthetic and ImageReward)");
        }
        for (String n : names) {
            if (n.equals(rewards.proxyName())) {
                throw new IllegalArgumentException("auxiliary reward '" + n + "' is the proxy reward itself");
            }
            if (!rewards.names().contains(n)) {
                throw new IllegalArgumentException("auxiliary reward '" + n + "' was not scored; the trainer scored "
                        + rewards.names());
            }
        }
        return names;
    }

    /**
     * @param proxy the proxy reward per image
     * @param auxiliaries each auxiliary reward per image (at least one, same length as proxy)
     * @param scopeSize the size of each scope: the whole length (batch) or G (per group); must
     *     divide the length
     * @param form win-rate or rank
     * @param sign the direction of the difference
     * @return {@code U_i = ±(s_proxy(i) - mean_k s_aux_k(i))} per image
     */
    public static double[] uncertainty(double[] proxy, List<double[]> auxiliaries, int scopeSize, UncertaintyForm form,
            UncertaintySign sign) {
        int n = proxy.length;
        if (auxiliaries.isEmpty()) {
            throw new IllegalArgumentException("the uncertainty needs at least one auxiliary reward");
        }
        if (scopeSize < 1 || n % scopeSize != 0) {
            throw new IllegalArgumentException("scope size " + scopeSize + " does not divide " + n + " images");
        }
        for (double[] a : auxiliaries) {
            if (a.length != n) {
                throw new IllegalArgumentException("an auxiliary reward has " + a.length + " scores for " + n + " images");
            }
        }
        double[] sProxy = standing(proxy, scopeSize, form);
        double[] sAux = new double[n];
        for (double[] a : auxiliaries) {
            double[] s = standing(a, scopeSize, form);
            for (int i = 0; i < n; i++) {
                sAux[i] += s[i];
            }
        }
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            double diff = sProxy[i] - sAux[i] / auxiliaries.size();
            u[i] = sign == UncertaintySign.PROXY_MINUS_AUXILIARY ? diff : -diff;
        }
        return u;
    }

    /** @return each image's win-rate or descending rank within its scope of {@code scopeSize} images */
    static double[] standing(double[] r, int scopeSize, UncertaintyForm form) {
        double[] out = new double[r.length];
        for (int start = 0; start < r.length; start += scopeSize) {
            double[] part = form == UncertaintyForm.WIN_RATE ? winRates(r, start, start + scopeSize)
                    : descendingRanks(r, start, start + scopeSize);
            System.arraycopy(part, 0, out, start, scopeSize);
        }
        return out;
    }

    /**
     * @param r scores
     * @param from first index of the scope, inclusive
     * @param to last index, exclusive
     * @return {@code #{j in scope : r_j < r_i} / (|scope| - 1)} for each i of the scope; 0 for a
     *     scope of one
     */
    public static double[] winRates(double[] r, int from, int to) {
        int n = to - from;
        double[] w = new double[n];
        if (n == 1) {
            return w;
        }
        for (int i = 0; i < n; i++) {
            int wins = 0;
            for (int j = from; j < to; j++) {
                if (r[j] < r[from + i]) {
                    wins++;
                }
            }
            w[i] = (double) wins / (n - 1);
        }
        return w;
    }

    /**
     * @param r scores
     * @param from first index of the scope, inclusive
     * @param to last index, exclusive
     * @return the descending rank of each image of the scope: 1 for the highest score; ties go to
     *     the earlier image
     */
    public static double[] descendingRanks(double[] r, int from, int to) {
        int n = to - from;
        Integer[] order = new Integer[n];
        for (int i = 0; i < n; i++) {
            order[i] = i;
        }
        // A stable sort by descending score: equal scores keep their positions' order.
        Arrays.sort(order, Comparator.comparingDouble((Integer i) -> -r[from + i]));
        double[] rank = new double[n];
        for (int pos = 0; pos < n; pos++) {
            rank[order[pos]] = pos + 1;
        }
        return rank;
    }

    /**
     * numpy's default percentile (linear interpolation between order statistics).
     *
     * @param values the values (not modified), at least one
     * @param q the percentile in [0, 100]
     * @return the q-th percentile
     */
    public static double percentile(double[] values, double q) {
        if (values.length == 0) {
            throw new IllegalArgumentException("the percentile of no values is undefined");
        }
        if (!(q >= 0 && q <= 100)) {
            throw new IllegalArgumentException("percentile must be in [0, 100], got " + q);
        }
        double[] s = values.clone();
        Arrays.sort(s);
        double pos = q / 100.0 * (s.length - 1);
        int lo = (int) Math.floor(pos);
        int hi = Math.min(lo + 1, s.length - 1);
        return s[lo] + (s[hi] - s[lo]) * (pos - lo);
    }

    /** @return the values {@code >= 0} of {@code u}, in order */
    public static double[] nonNegative(double[] u) {
        return Arrays.stream(u).filter(v -> v >= 0).toArray();
    }

    /**
     * @param u uncertainties
     * @param k the gated fraction in (0, 1]
     * @return the {@code (100 - 100 k)}-th percentile of the non-negative uncertainties, or NaN when
     *     there are none
     */
    public static double threshold(double[] u, double k) {
        double[] nonNeg = nonNegative(u);
        return nonNeg.length == 0 ? Double.NaN : percentile(nonNeg, 100 - 100 * k);
    }

    /**
     * The top-k gate of the official code: {@code gate_i = U_i >= 0 and U_i > threshold(U, k)}.
     * The comparison is strict, so uncertainties tied at the threshold are not gated (all-equal
     * uncertainties gate nothing).
     *
     * @param u uncertainties
     * @param k the gated fraction in (0, 1]
     * @return the gate per image
     */
    public static boolean[] gate(double[] u, double k) {
        return gate(u, k, false);
    }

    /**
     * The top-k gate: {@code gate_i = U_i >= 0 and U_i > t} (or {@code >= t} when inclusive) with
     * {@code t = threshold(U, k)}.
     *
     * @param u uncertainties
     * @param k the gated fraction in (0, 1]
     * @param inclusive whether images at the threshold are gated too
     * @return the gate per image
     */
    public static boolean[] gate(double[] u, double k, boolean inclusive) {
        double t = threshold(u, k);
        boolean[] g = new boolean[u.length];
        if (Double.isNaN(t)) {
            return g;
        }
        for (int i = 0; i < u.length; i++) {
            g[i] = u[i] >= 0 && (inclusive ? u[i] >= t : u[i] > t);
        }
        return g;
    }
}
