package io.diffrl4j.regularizers.gardo;

import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * The settings of GARDO's gate (docs/ALGORITHMS.md 6.1): how the uncertainty is measured and how the
 * gated fraction {@code k} is controlled. Immutable; build with {@link #builder()} (the paper's
 * defaults) or {@link #officialCode()} (the official code's rank form), whose {@code build()}
 * checks every field and names the first bad one.
 */
public final class GateConfig {
    private final UncertaintyForm form;
    private final UncertaintySign sign;
    private final UncertaintyScope scope;
    private final List<String> auxiliaries;
    private final double initialK;
    private final double minK;
    private final double maxK;
    private final double increase;
    private final double decrease;
    private final int window;
    private final boolean inclusiveThreshold;

    private GateConfig(Builder b) {
        this.form = b.form;
        this.sign = b.sign;
        this.scope = b.scope;
        this.auxiliaries = List.copyOf(b.auxiliaries);
        this.initialK = b.initialK;
        this.minK = b.minK;
        this.maxK = b.maxK;
        this.increase = b.increase;
        this.decrease = b.decrease;
        this.window = b.window;
        this.inclusiveThreshold = b.inclusiveThreshold;
    }

    /** @return a builder with the paper's defaults: win-rates, proxy minus auxiliary, whole batch */
    public static Builder builder() {
        return new Builder();
    }

    /**
     * @return a builder with the official code's uncertainty: descending ranks over the whole batch,
     *     {@code rank_proxy - mean rank_aux} (positive when the proxy rates the sample lower than the
     *     auxiliaries; see {@link UncertaintySign})
     */
    public static Builder officialCode() {
        return new Builder().optForm(UncertaintyForm.RANK).optSign(UncertaintySign.PROXY_MINUS_AUXILIARY);
    }

    /** @return the standing each reward is turned into (default {@link UncertaintyForm#WIN_RATE}) */
    public UncertaintyForm form() {
        return form;
    }

    /** @return the direction of the difference (default {@link UncertaintySign#PROXY_MINUS_AUXILIARY}) */
    public UncertaintySign sign() {
        return sign;
    }

    /** @return where standings are computed (default {@link UncertaintyScope#BATCH}) */
    public UncertaintyScope scope() {
        return scope;
    }

    /**
     * @return the auxiliary rewards the gate compares with, by name; empty (the default) means every
     *     auxiliary reward the trainer scored ({@code RewardBatch.auxiliaryNames()})
     */
    public List<String> auxiliaries() {
        return auxiliaries;
    }

    /** @return the starting gated fraction {@code k} (default 0.1) */
    public double initialK() {
        return initialK;
    }

    /** @return the lower bound of {@code k} (default 0.02) */
    public double minK() {
        return minK;
    }

    /** @return the upper bound of {@code k} (default 0.2) */
    public double maxK() {
        return maxK;
    }

    /** @return the factor applied to {@code k} when the uncertainty exceeds its recent maximum (default 1.1) */
    public double increase() {
        return increase;
    }

    /** @return the factor applied to {@code k} when the uncertainty falls below its recent minimum (default 0.9) */
    public double decrease() {
        return decrease;
    }

    /** @return how many past epoch means the controller remembers (default 20) */
    public int window() {
        return window;
    }

    /**
     * @return whether images AT the percentile threshold are gated too ({@code U >= t}); default
     *     false: strictly above it ({@code U > t}), as the official code, so that all-equal
     *     uncertainties (e.g. perfect agreement, all 0) gate nothing; the price is that with very few
     *     non-negative uncertainties (one, say) nothing may be gated
     */
    public boolean inclusiveThreshold() {
        return inclusiveThreshold;
    }

    @Override
    public String toString() {
        return "GateConfig{" + form + ", " + sign + ", " + scope + ", auxiliaries="
                + (auxiliaries.isEmpty() ? "all" : auxiliaries) + ", k0=" + initialK + " in [" + minK + ", " + maxK
                + "], x" + increase + " / x" + decrease + ", window " + window + (inclusiveThreshold ? ", U >= t" : ", U > t") + "}";
    }

    /** Builder holding the paper's defaults; validated by {@link #build()}. */
    public static final class Builder {
        private UncertaintyForm form = UncertaintyForm.WIN_RATE;
        private UncertaintySign sign = UncertaintySign.PROXY_MINUS_AUXILIARY;
        private UncertaintyScope scope = UncertaintyScope.BATCH;
        private List<String> auxiliaries = List.of();
        private double initialK = 0.1;
        private double minK = 0.02;
        private double maxK = 0.2;
        private double increase = 1.1;
        private double decrease = 0.9;
        private int window = 20;
        private boolean inclusiveThreshold = false;

        private Builder() {}

        /** @param form win-rate or rank @return this */
        public Builder optForm(UncertaintyForm form) {
            this.form = form;
            return this;
        }

        /** @param sign the direction of the difference @return this */
        public Builder optSign(UncertaintySign sign) {
            this.sign = sign;
            return this;
        }

        /** @param scope whole batch or per prompt group @return this */
        public Builder optScope(UncertaintyScope scope) {
            this.scope = scope;
            return this;
        }

        /**
         * @param names the auxiliary rewards to compare with (a subset of those the trainer scores);
         *     empty for all of them
         * @return this
         */
        public Builder optAuxiliaries(List<String> names) {
            this.auxiliaries = names;
            return this;
        }

        /** @param k the starting gated fraction, in [minK, maxK] @return this */
        public Builder optInitialK(double k) {
            this.initialK = k;
            return this;
        }

        /**
         * @param min lower bound of k, in (0, max]
         * @param max upper bound of k, in [min, 1]
         * @return this
         */
        public Builder optKRange(double min, double max) {
            this.minK = min;
            this.maxK = max;
            return this;
        }

        /**
         * @param increase factor when the uncertainty exceeds its recent maximum, {@code >= 1}
         * @param decrease factor when it falls below its recent minimum, in (0, 1]
         * @return this
         */
        public Builder optFactors(double increase, double decrease) {
            this.increase = increase;
            this.decrease = decrease;
            return this;
        }

        /** @param window epochs of history the controller keeps, at least 1 @return this */
        public Builder optWindow(int window) {
            this.window = window;
            return this;
        }

        /**
         * @param inclusive gate images at the threshold too ({@code U >= t}) instead of only those
         *     above it ({@code U > t}, default)
         * @return this
         */
        public Builder optInclusiveThreshold(boolean inclusive) {
            this.inclusiveThreshold = inclusive;
            return this;
        }

        /**
         * @return the config
         * @throws IllegalArgumentException naming the first bad field
         */
        public GateConfig build() {
            if (form == null) {
                throw new IllegalArgumentException("form must not be null");
            }
            if (sign == null) {
                throw new IllegalArgumentException("sign must not be null");
            }
            if (scope == null) {
                throw new IllegalArgumentException("scope must not be null");
            }
            if (auxiliaries == null) {
                throw new IllegalArgumentException("auxiliaries must not be null (use an empty list for all)");
            }
            Set<String> seen = new HashSet<>();
            for (String a : auxiliaries) {
                if (a == null || a.isBlank()) {
                    throw new IllegalArgumentException("auxiliaries must not contain blank names, got " + auxiliaries);
                }
                if (!seen.add(a)) {
                    throw new IllegalArgumentException("auxiliaries name '" + a + "' twice");
                }
            }
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
            return new GateConfig(this);
        }
    }
}
