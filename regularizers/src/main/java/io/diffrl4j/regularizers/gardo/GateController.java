package io.diffrl4j.regularizers.gardo;

import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The per-epoch controller of GARDO's gated fraction {@code k} (docs/ALGORITHMS.md 6.1), as the official
 * code runs it: with {@code m} the epoch's mean of the non-negative uncertainties and {@code H} the
 * last {@code window} such means,
 *
 * <pre>
 * H empty      : k = k0
 * m > max(H)   : k = k * increase
 * m < min(H)   : k = k * decrease
 * k = clip(k, minK, maxK) ;  then m joins H (the oldest mean leaves when H is full)
 * </pre>
 *
 * The epoch's gate uses the {@code k} after this update. Rising uncertainty (the proxy drifting
 * away from the auxiliaries) gates more samples; falling uncertainty gates fewer.
 *
 * <p>Mutable, training thread only; {@link #state()} and {@link #restore} make a resumed run
 * continue exactly. Subclass to change the rule and override {@link #update}.
 */
public class GateController {
    /** The paper's starting gated fraction {@code k0}. */
    public static final double INITIAL_K = 0.1;

    private final double initialK;
    private final double minK;
    private final double maxK;
    private final double increase;
    private final double decrease;
    private final int window;
    private final Deque<Double> history = new ArrayDeque<>();
    private double k;

    /** The paper's controller: {@code k0 = 0.1} in [0.02, 0.2], factors 1.1 and 0.9, a window of 20 epochs. */
    public GateController() {
        this(INITIAL_K, 0.02, 0.2, 1.1, 0.9, 20);
    }

    /**
     * @param initialK the starting gated fraction {@code k0}, in [minK, maxK]
     * @param minK the lower bound of {@code k}, {@code 0 < minK <= maxK <= 1}
     * @param maxK the upper bound of {@code k}
     * @param increase the factor when the uncertainty exceeds its recent maximum, finite and {@code >= 1}
     * @param decrease the factor when it falls below its recent minimum, in (0, 1]
     * @param window how many past epoch means are remembered, at least 1
     * @throws IllegalArgumentException naming the first bad setting
     */
    public GateController(double initialK, double minK, double maxK, double increase, double decrease, int window) {
        if (!(minK > 0 && minK <= maxK && maxK <= 1)) {
            throw new IllegalArgumentException("kRange must satisfy 0 < min <= max <= 1, got [" + minK + ", " + maxK + "]");
        }
        if (!(initialK >= minK && initialK <= maxK)) {
            throw new IllegalArgumentException("initialK must lie in [" + minK + ", " + maxK + "], got " + initialK);
        }
        if (!(increase >= 1) || Double.isInfinite(increase)) {
            throw new IllegalArgumentException("increase must be finite and >= 1, got " + increase);
        }
        if (!(decrease > 0 && decrease <= 1)) {
            throw new IllegalArgumentException("decrease must be in (0, 1], got " + decrease);
        }
        if (window < 1) {
            throw new IllegalArgumentException("window must be >= 1, got " + window);
        }
        this.initialK = initialK;
        this.minK = minK;
        this.maxK = maxK;
        this.increase = increase;
        this.decrease = decrease;
        this.window = window;
        this.k = initialK;
    }

    /** @return the starting gated fraction {@code k0} */
    public double initialK() {
        return initialK;
    }

    /** @return the lower bound of {@code k} */
    public double minK() {
        return minK;
    }

    /** @return the upper bound of {@code k} */
    public double maxK() {
        return maxK;
    }

    /** @return the factor applied when the uncertainty exceeds its recent maximum */
    public double increase() {
        return increase;
    }

    /** @return the factor applied when the uncertainty falls below its recent minimum */
    public double decrease() {
        return decrease;
    }

    /** @return how many past epoch means the controller remembers */
    public int window() {
        return window;
    }

    @Override
    public String toString() {
        return "k0=" + initialK + " in [" + minK + ", " + maxK + "], x" + increase + " / x" + decrease + ", window " + window;
    }

    /** @return the current gated fraction */
    public double k() {
        return k;
    }

    /** @return the remembered epoch means, oldest first */
    public List<Double> history() {
        return new ArrayList<>(history);
    }

    /**
     * Moves {@code k} for one epoch and remembers the epoch's mean.
     *
     * @param meanNonNegative the epoch's mean of the non-negative uncertainties, finite
     * @return the new {@code k}
     */
    public double update(double meanNonNegative) {
        if (!Double.isFinite(meanNonNegative)) {
            throw new IllegalArgumentException("the mean uncertainty must be finite, got " + meanNonNegative);
        }
        if (history.isEmpty()) {
            k = initialK;
        } else if (meanNonNegative > max()) {
            k *= increase;
        } else if (meanNonNegative < min()) {
            k *= decrease;
        }
        k = Math.max(minK, Math.min(maxK, k));
        history.addLast(meanNonNegative);
        while (history.size() > window) {
            history.removeFirst();
        }
        return k;
    }

    private double max() {
        return history.stream().mapToDouble(Double::doubleValue).max().orElseThrow();
    }

    private double min() {
        return history.stream().mapToDouble(Double::doubleValue).min().orElseThrow();
    }

    /** @return {@code k}, the history length and the history values ({@code history.0} oldest) */
    public Map<String, Double> state() {
        Map<String, Double> s = new LinkedHashMap<>();
        s.put("k", k);
        s.put("history.size", (double) history.size());
        int i = 0;
        for (double h : history) {
            s.put("history." + i++, h);
        }
        return s;
    }

    /**
     * @param state a state from {@link #state()}; an empty map restores the initial state
     * @throws IllegalArgumentException when the state is incomplete
     */
    public void restore(Map<String, Double> state) {
        history.clear();
        if (state.isEmpty()) {
            k = initialK;
            return;
        }
        Double savedK = state.get("k");
        Double size = state.get("history.size");
        if (savedK == null || size == null) {
            throw new IllegalArgumentException("gate controller state lacks 'k' or 'history.size': " + state.keySet());
        }
        for (int i = 0; i < size.intValue(); i++) {
            Double h = state.get("history." + i);
            if (h == null) {
                throw new IllegalArgumentException("gate controller state lacks 'history." + i + "'");
            }
            history.addLast(h);
        }
        k = savedK;
    }
}
