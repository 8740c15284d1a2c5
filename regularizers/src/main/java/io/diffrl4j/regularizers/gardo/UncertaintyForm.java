package io.diffrl4j.regularizers.gardo;

/**
 * How GARDO compares the proxy reward with the auxiliary rewards (docs/ALGORITHMS.md 6.1): each reward is
 * turned into a per-sample standing within the {@linkplain UncertaintyScope scope}, and the
 * uncertainty is the difference of the proxy's standing and the auxiliaries' mean standing, in the
 * direction given by {@link UncertaintySign}.
 */
public enum UncertaintyForm {
    /**
     * The paper (default): the win-rate {@code w_m(i) = #{j in S : r_m(j) < r_m(i)} / (|S| - 1)},
     * in [0, 1], higher is better; ties count as losses for both sides; {@code |S| = 1} gives 0.
     */
    WIN_RATE,
    /**
     * The official code: the descending rank within the scope, 1 for the best sample and
     * {@code |S|} for the worst, so LOWER is better. Ties are broken by position (the earlier image
     * gets the better rank), which makes the ranks deterministic.
     */
    RANK
}
