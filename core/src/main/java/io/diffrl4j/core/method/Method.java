package io.diffrl4j.core.method;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.AdvantageEstimator;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.schedule.AdapterSchedule;
import java.util.List;

/**
 * A post-training method as a composition of strategies: how rollouts are drawn (and with which
 * adapter set), how advantages are estimated, the policy objective, the regularizers and the
 * adapter schedules. The snapshot sets the method needs (each created as a copy of the policy
 * before training) are derived from what the strategies declare they read and write
 * ({@link #snapshots()}), so a schedule or regularizer on a set nobody listed cannot happen.
 * Recipes such as {@code FlowGrpo.method()} build these with the papers' defaults; each strategy
 * owns its settings, so a change is a new strategy in its place: {@code with*} replaces one component
 * (a sampler, the advantages, a regularizer or schedule by its state key, the KL's beta) and keeps
 * the rest.
 *
 * <p>Build one with {@link #builder}; immutable.
 */
public final class Method {
    private final String name;
    private final Sampler sampler;
    private final String samplingSet;
    private final AdvantageEstimator advantages;
    private final PolicyObjective objective;
    private final List<Regularizer> regularizers;
    private final List<AdapterSchedule> schedules;

    private Method(Builder b) {
        if (b.name == null || b.sampler == null || b.samplingSet == null || b.advantages == null || b.objective == null) {
            throw new IllegalArgumentException("a method needs a name, sampler, sampling set, advantage estimator and objective");
        }
        this.name = b.name;
        this.sampler = b.sampler;
        this.samplingSet = b.samplingSet;
        this.advantages = b.advantages;
        this.objective = b.objective;
        this.regularizers = List.copyOf(b.regularizers);
        this.schedules = List.copyOf(b.schedules);
        // Checkpoints save each strategy's state under its key: two strategies must not share one.
        List<String> keys = new java.util.ArrayList<>();
        schedules.forEach(s -> keys.add(s.stateKey()));
        regularizers.forEach(r -> keys.add(r.stateKey()));
        java.util.Set<String> seen = new java.util.HashSet<>();
        for (String key : keys) {
            if (key == null || key.isEmpty() || !seen.add(key)) {
                throw new IllegalArgumentException("method " + name + ": two strategies save their checkpoint state under '"
                        + key + "'; override stateKey() to tell them apart");
            }
        }
    }

    /**
     * @param name a short name for logs ("flow-grpo")
     * @param sampler draws the rollouts
     * @param advantages the advantage estimator
     * @param objective the policy loss
     * @return a builder of a method sampling with the policy, with no regularizers and no schedules
     */
    public static Builder builder(String name, Sampler sampler, AdvantageEstimator advantages, PolicyObjective objective) {
        Builder b = new Builder();
        b.name = name;
        b.sampler = sampler;
        b.advantages = advantages;
        b.objective = objective;
        return b;
    }

    /** @return a builder holding this method's strategies */
    public Builder toBuilder() {
        Builder b = builder(name, sampler, advantages, objective);
        b.samplingSet = samplingSet;
        b.regularizers = regularizers;
        b.schedules = schedules;
        return b;
    }

    /** @return a short name for logs ("flow-grpo") */
    public String name() {
        return name;
    }

    /** @return what draws the rollouts */
    public Sampler sampler() {
        return sampler;
    }

    /** @return the adapter set rollouts are drawn with */
    public String samplingSet() {
        return samplingSet;
    }

    /** @return the advantage estimator */
    public AdvantageEstimator advantages() {
        return advantages;
    }

    /** @return the policy loss */
    public PolicyObjective objective() {
        return objective;
    }

    /** @return the extra loss terms */
    public List<Regularizer> regularizers() {
        return regularizers;
    }

    /** @return the snapshot updates */
    public List<AdapterSchedule> schedules() {
        return schedules;
    }

    @Override
    public String toString() {
        return "Method[" + name + ": " + sampler.getClass().getSimpleName() + " on " + samplingSet + ", "
                + advantages.getClass().getSimpleName() + ", " + objective.getClass().getSimpleName() + ", regularizers "
                + regularizers.stream().map(Regularizer::stateKey).toList() + ", schedules "
                + schedules.stream().map(AdapterSchedule::stateKey).toList() + "]";
    }

    /**
     * @return the adapter sets to create as copies of the initial policy before training: every set
     *     the schedules write (in their order), then the sampling set and the sets the sampler, the
     *     objective and the regularizers read; never the policy, never null (the pretrained model)
     */
    public List<String> snapshots() {
        java.util.LinkedHashSet<String> sets = new java.util.LinkedHashSet<>();
        schedules.forEach(s -> sets.addAll(s.adapterSets()));
        sets.add(samplingSet);
        sets.addAll(sampler.adapterSets());
        sets.addAll(objective.adapterSets());
        regularizers.forEach(r -> sets.addAll(r.adapterSets()));
        sets.remove(AdapterRoles.POLICY);
        sets.remove(null);
        return List.copyOf(sets);
    }

    /**
     * @return the adapter set this method evaluates and exports with: its EMA set when it keeps one,
     *     else the policy ({@link io.diffrl4j.core.schedule.PolicyEma#evaluationSet(Method)})
     */
    public String evaluationSet() {
        return io.diffrl4j.core.schedule.PolicyEma.evaluationSet(this);
    }

    /**
     * @param s a sampler
     * @return this method drawing rollouts with {@code s}, wrapped as the current sampler wraps its
     *     own ({@link Sampler#replacedBy}: a KL-recording sampler keeps recording)
     */
    public Method withSampler(Sampler s) {
        return toBuilder().optSampler(sampler.replacedBy(s)).build();
    }

    /** @param a an estimator @return this method with another advantage estimator */
    public Method withAdvantages(AdvantageEstimator a) {
        return toBuilder().optAdvantages(a).build();
    }

    /** @param o an objective @return this method with another policy objective */
    public Method withObjective(PolicyObjective o) {
        return toBuilder().optObjective(o).build();
    }

    /** @param r regularizers @return this method with these regularizers instead */
    public Method withRegularizers(List<Regularizer> r) {
        return toBuilder().optRegularizers(r).build();
    }

    /** @param s schedules @return this method with these schedules instead */
    public Method withSchedules(List<AdapterSchedule> s) {
        return toBuilder().optSchedules(s).build();
    }

    /** @param n a short name for logs @return this method under another name */
    public Method withName(String n) {
        return toBuilder().optName(n).build();
    }

    /** @param set an adapter set @return this method drawing its rollouts with {@code set} */
    public Method withSamplingSet(String set) {
        return toBuilder().optSamplingSet(set).build();
    }

    /**
     * @param r a regularizer
     * @return this method with {@code r} in place of the regularizer saved under the same
     *     {@link Regularizer#stateKey()} (a new KL for the old one), or added after the others
     */
    public Method withRegularizer(Regularizer r) {
        return withRegularizers(replaceByKey(regularizers, r, r.stateKey(), Regularizer::stateKey));
    }

    /**
     * @param s a schedule
     * @return this method with {@code s} in place of the schedule saved under the same
     *     {@link AdapterSchedule#stateKey()} (an EMA of "old" with another decay for the old one), or
     *     added after the others
     */
    public Method withSchedule(AdapterSchedule s) {
        return withSchedules(replaceByKey(schedules, s, s.stateKey(), AdapterSchedule::stateKey));
    }

    /**
     * @param stateKey the key of a schedule or regularizer ({@code "policy_ema:ema"},
     *     {@code "regularizer:kl"}, ...)
     * @return this method without it
     * @throws IllegalArgumentException naming the keys there are when none has this key
     */
    public Method without(String stateKey) {
        List<AdapterSchedule> s = schedules.stream().filter(x -> !x.stateKey().equals(stateKey)).toList();
        List<Regularizer> r = regularizers.stream().filter(x -> !x.stateKey().equals(stateKey)).toList();
        if (s.size() == schedules.size() && r.size() == regularizers.size()) {
            List<String> keys = new java.util.ArrayList<>();
            schedules.forEach(x -> keys.add(x.stateKey()));
            regularizers.forEach(x -> keys.add(x.stateKey()));
            throw new IllegalArgumentException("method " + name + " has no schedule or regularizer '" + stateKey
                    + "'; it has " + keys);
        }
        return toBuilder().optRegularizers(r).optSchedules(s).build();
    }

    /**
     * Sets the KL coefficient of the method's KL to its reference (every {@link ReferenceKl} named
     * {@code "kl"}, gated or not), keeping its form, reference and kind of strength
     * ({@link ReferenceKl#withBeta}); a KL under another name (AWM's {@code "kl_ema"}) keeps its own.
     *
     * @param beta the coefficient, finite and {@code > 0} (remove the KL with
     *     {@code without("regularizer:kl")})
     * @return this method with the new beta
     * @throws IllegalArgumentException when the method has no KL regularizer or beta is not positive
     */
    public Method withKlBeta(double beta) {
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("KL beta must be finite and > 0, got " + beta
                    + " (remove the KL with without(\"regularizer:kl\") instead)");
        }
        // Only the KL to the method's reference; a second KL under its own name keeps its beta.
        if (regularizers.stream().noneMatch(ReferenceKl::isMethodKl)) {
            throw new IllegalArgumentException("method " + name + " has no KL regularizer whose beta could be set; add one "
                    + "with withRegularizer");
        }
        return withRegularizers(regularizers.stream()
                .map(r -> ReferenceKl.isMethodKl(r) ? (Regularizer) ((ReferenceKl) r).withBeta(beta) : r).toList());
    }

    private static <T> List<T> replaceByKey(List<T> items, T item, String key, java.util.function.Function<T, String> keyOf) {
        List<T> out = new java.util.ArrayList<>(items);
        for (int i = 0; i < out.size(); i++) {
            if (keyOf.apply(out.get(i)).equals(key)) {
                out.set(i, item);
                return out;
            }
        }
        out.add(item);
        return out;
    }

    /** The strategies of a method; {@link #build()} checks them. */
    public static final class Builder {
        private String name;
        private Sampler sampler;
        private String samplingSet = AdapterRoles.POLICY;
        private AdvantageEstimator advantages;
        private PolicyObjective objective;
        private List<Regularizer> regularizers = List.of();
        private List<AdapterSchedule> schedules = List.of();

        private Builder() {}

        /** @param n a short name for logs @return this */
        public Builder optName(String n) {
            this.name = n;
            return this;
        }

        /** @param s draws the rollouts @return this */
        public Builder optSampler(Sampler s) {
            this.sampler = s;
            return this;
        }

        /** @param set the adapter set rollouts are drawn with (default the policy) @return this */
        public Builder optSamplingSet(String set) {
            this.samplingSet = set;
            return this;
        }

        /** @param a the advantage estimator @return this */
        public Builder optAdvantages(AdvantageEstimator a) {
            this.advantages = a;
            return this;
        }

        /** @param o the policy loss @return this */
        public Builder optObjective(PolicyObjective o) {
            this.objective = o;
            return this;
        }

        /** @param r the extra loss terms (default none) @return this */
        public Builder optRegularizers(List<Regularizer> r) {
            this.regularizers = r;
            return this;
        }

        /** @param s the snapshot updates (default none) @return this */
        public Builder optSchedules(List<AdapterSchedule> s) {
            this.schedules = s;
            return this;
        }

        /**
         * @return the method
         * @throws IllegalArgumentException when a strategy is missing or two share a state key
         */
        public Method build() {
            return new Method(this);
        }
    }
}
