package io.diffrl4j.core.schedule;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.TrainingProgress;
import java.util.Map;

/**
 * The evaluation and checkpoint EMA of the policy, as the reference code's {@code EMAModuleWrapper}
 * ({@code flow_grpo/ema.py}): after optimizer step {@code n} (the number of steps taken), when
 * {@code (n + 1) % interval == 0}, {@code ema <- d ema + (1 - d) policy} with
 * {@code d = min((1 + n) / (10 + n), decay)}. Flow-GRPO and GARDO use decay 0.9 every 8 steps
 * ({@link #flowGrpo()}), DiffusionNFT every step ({@link #diffusionNft()}). The EMA set
 * ({@link AdapterRoles#EMA} by default) is created by the method as a snapshot of the initial
 * policy; evaluations and exported checkpoints read it where the reference swaps the EMA weights in
 * ({@code ema.copy_ema_to}). One blend per optimizer step, where DiffusionNFT's script calls
 * {@code ema.step}; flow_grpo's {@code train_sd3.py} calls it once per micro-batch, so there a
 * qualifying step is blended once per accumulated micro-batch (an effective decay {@code d^k}).
 * Flow-Factory (CRD) counts epochs instead of optimizer steps ({@code adapter.ema_step(step=self.epoch)}
 * once after each epoch; decay 0.995 every 10 epochs, {@link #crd()}).
 * Stateless apart from the adapter set itself.
 *
 * <p>Which set a method evaluates and exports with is {@link #evaluationSet(Method)}.
 */
public final class PolicyEma implements AdapterSchedule {
    /**
     * The checkpoint key of the evaluation EMA every recipe keeps in {@link AdapterRoles#EMA}:
     * {@code method.without(PolicyEma.STATE_KEY)} trains without it.
     */
    public static final String STATE_KEY = "policy_ema:" + AdapterRoles.EMA;

    private final String target;
    private final double decay;
    private final int interval;
    private final boolean perEpoch;

    /**
     * @param target the EMA adapter set
     * @param decay the largest decay, in [0, 1)
     * @param interval update every this many optimizer steps, at least 1
     */
    public PolicyEma(String target, double decay, int interval) {
        this(target, decay, interval, false);
    }

    /**
     * @param target the EMA adapter set
     * @param decay the largest decay, in [0, 1)
     * @param interval update every this many optimizer steps (epochs when {@code perEpoch}), at least 1
     * @param perEpoch count epochs (one possible blend after each epoch) instead of optimizer steps
     */
    public PolicyEma(String target, double decay, int interval, boolean perEpoch) {
        if (target == null || target.isBlank()) {
            throw new IllegalArgumentException("target must name an adapter set");
        }
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("decay must be in [0, 1), got " + decay);
        }
        if (interval < 1) {
            throw new IllegalArgumentException("interval must be >= 1, got " + interval);
        }
        this.target = target;
        this.decay = decay;
        this.interval = interval;
        this.perEpoch = perEpoch;
    }

    /** @return Flow-GRPO's and GARDO's EMA: decay 0.9 every 8 steps into {@link AdapterRoles#EMA} */
    public static PolicyEma flowGrpo() {
        return new PolicyEma(AdapterRoles.EMA, 0.9, 8);
    }

    /** @return DiffusionNFT's EMA: decay 0.9 every step into {@link AdapterRoles#EMA} */
    public static PolicyEma diffusionNft() {
        return new PolicyEma(AdapterRoles.EMA, 0.9, 1);
    }

    /**
     * @return CRD's EMA as Flow-Factory's defaults ({@code training_args.py}: {@code ema_decay = 0.995},
     *     {@code ema_update_interval = 10}, {@code ema_decay_schedule = "power"} with 10 warm-up steps,
     *     {@code min(0.995, (1 + t) / (10 + t))}), counted in epochs, into {@link AdapterRoles#EMA}
     */
    public static PolicyEma crd() {
        return new PolicyEma(AdapterRoles.EMA, 0.995, 10, true);
    }

    /**
     * The adapter set a method evaluates and exports with: its EMA set when it keeps one (a
     * {@link PolicyEma} schedule whose target is among the method's snapshots), as the references
     * swap the EMA weights in ({@code ema.copy_ema_to}) around evaluation and checkpoint saving;
     * otherwise the policy.
     *
     * @param method a method
     * @return the EMA set's name, or {@link AdapterRoles#POLICY}
     */
    public static String evaluationSet(Method method) {
        for (AdapterSchedule s : method.schedules()) {
            if (s instanceof PolicyEma ema && method.snapshots().contains(ema.target())) {
                return ema.target();
            }
        }
        return AdapterRoles.POLICY;
    }

    /** @return whether the interval counts epochs (true) or optimizer steps (false) */
    public boolean perEpoch() {
        return perEpoch;
    }

    /** @return the EMA adapter set */
    public String target() {
        return target;
    }

    /** @param steps optimizer steps taken (epochs run, when {@link #perEpoch()}) @return whether the EMA is updated then */
    public boolean updatesAt(long steps) {
        return (steps + 1) % interval == 0;
    }

    /** @param steps optimizer steps taken @return {@code min((1 + steps) / (10 + steps), decay)} */
    public double decayAt(long steps) {
        return Math.min((1.0 + steps) / (10.0 + steps), decay);
    }

    @Override
    public void afterStep(Adapters adapters, TrainingProgress progress, Map<String, Double> stepMetrics) {
        if (!perEpoch) {
            update(adapters, progress.globalStep());
        }
    }

    @Override
    public void afterEpoch(Adapters adapters, TrainingProgress progress, Map<String, Double> metrics) {
        if (perEpoch) {
            update(adapters, progress.epoch());
        }
    }

    private void update(Adapters adapters, long n) {
        if (updatesAt(n)) {
            adapters.get(target).blend(adapters.get(AdapterRoles.POLICY), decayAt(n));
        }
    }

    @Override
    public String toString() {
        return "PolicyEma[" + target + ", decay " + decay + " every " + interval + (perEpoch ? " epochs]" : " steps]");
    }

    /** @return the state's checkpoint key, naming the set this schedule writes */
    @Override
    public String stateKey() {
        return "policy_ema:" + target;
    }

    @Override
    public java.util.List<String> adapterSets() {
        return java.util.List.of(target);
    }
}
