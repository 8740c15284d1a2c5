package io.diffrl4j.rewards.mix;

import io.diffrl4j.core.reward.CompositeReward;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * Flow-GRPO's multi-reward proxy: {@code r_i = sum_k w_k r_k,i} over raw scores (a config such as
 * {@code {"ocr": 1.0, "pickscore": 0.5}}). Used as the trainer's reward, each part is scored once
 * and logged under its own name, and the sum under {@link #name()}. Immutable and thread-safe when
 * its parts are.
 */
public final class WeightedRewardSum implements CompositeReward {
    /** The default name of the mixed reward in metrics. */
    public static final String DEFAULT_NAME = "weighted_sum";

    private final String name;
    private final List<RewardFunction> parts;
    private final double[] weights;

    private WeightedRewardSum(Builder b) {
        this.name = b.name;
        this.parts = List.copyOf(b.parts);
        this.weights = b.weights.stream().mapToDouble(Double::doubleValue).toArray();
    }

    /** @return an empty builder */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public List<RewardFunction> parts() {
        return parts;
    }

    /**
     * The same weights as an advantage sum (MixGRPO, Flow-Factory), so one config serves both
     * mixing modes: each part normalised in its group, then the advantages summed with weights.
     *
     * @return the estimator
     */
    public io.diffrl4j.core.advantage.WeightedAdvantageSum advantages() {
        return new io.diffrl4j.core.advantage.WeightedAdvantageSum(weights());
    }

    /** @return part name to weight, in order */
    public Map<String, Double> weights() {
        Map<String, Double> out = new LinkedHashMap<>();
        for (int k = 0; k < parts.size(); k++) {
            out.put(parts.get(k).name(), weights[k]);
        }
        return out;
    }

    @Override
    public double[] combine(List<double[]> partScores) {
        if (partScores.size() != parts.size()) {
            throw new IllegalArgumentException(partScores.size() + " score arrays for " + parts.size() + " parts");
        }
        int n = partScores.get(0).length;
        double[] out = new double[n];
        for (int k = 0; k < parts.size(); k++) {
            double[] s = partScores.get(k);
            if (s.length != n) {
                throw new IllegalArgumentException("part '" + parts.get(k).name() + "' has " + s.length + " scores, the first has " + n);
            }
            for (int i = 0; i < n; i++) {
                out[i] += weights[k] * s[i];
            }
        }
        return out;
    }

    /** Collects parts and weights; validated by {@link #build()}. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private final List<RewardFunction> parts = new ArrayList<>();
        private final List<Double> weights = new ArrayList<>();

        private Builder() {}

        /** @param n the name of the sum in metrics (default {@value #DEFAULT_NAME}) @return this */
        public Builder optName(String n) {
            this.name = n;
            return this;
        }

        /**
         * @param reward a part
         * @param weight its finite, non-zero weight
         * @return this
         */
        public Builder add(RewardFunction reward, double weight) {
            parts.add(reward);
            weights.add(weight);
            return this;
        }

        /**
         * @return the sum
         * @throws IllegalArgumentException when there are no parts, a weight is zero or not finite,
         *     two parts share a name, or the sum's name is blank or a part's name
         */
        public WeightedRewardSum build() {
            if (parts.isEmpty()) {
                throw new IllegalArgumentException("a weighted reward sum needs at least one part");
            }
            if (name == null || name.isBlank()) {
                throw new IllegalArgumentException("name must not be blank");
            }
            Set<String> seen = new HashSet<>();
            for (int k = 0; k < parts.size(); k++) {
                String n = parts.get(k).name();
                double w = weights.get(k);
                if (!Double.isFinite(w) || w == 0) {
                    throw new IllegalArgumentException("weight of '" + n + "' must be finite and non-zero, got " + w);
                }
                if (!seen.add(n)) {
                    throw new IllegalArgumentException("two parts are named '" + n + "'");
                }
                if (n.equals(name)) {
                    throw new IllegalArgumentException("the sum and its part share the name '" + n + "'; choose another with optName");
                }
            }
            return new WeightedRewardSum(this);
        }
    }
}
