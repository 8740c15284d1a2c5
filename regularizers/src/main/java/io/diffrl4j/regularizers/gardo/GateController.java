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
    private final GateConfig config;
    private final Deque<Double> history = new ArrayDeque<>();
    private double k;

    /** @param config the bounds, factors and window */
    public GateController(GateConfig config) {
        this.config = config;
        this.k = config.initialK();
    }

    /** @return the settings */
    public GateConfig config() {
        return config;
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
            k = config.initialK();
        } else if (meanNonNegative > max()) {
            k *= config.increase();
        } else if (meanNonNegative < min()) {
            k *= config.decrease();
        }
        k = Math.max(config.minK(), Math.min(config.maxK(), k));
        history.addLast(meanNonNegative);
        while (history.size() > config.window()) {
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
            k = config.initialK();
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
