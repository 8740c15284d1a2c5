package io.diffrl4j.core.schedule;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.Adapters;
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
 * Stateless apart from the adapter set itself.
 */
public final class PolicyEma implements AdapterSchedule {
    private final String target;
    private final double decay;
    private final int interval;

    /**
     * @param target the EMA adapter set
     * @param decay the largest decay, in [0, 1)
     * @param interval update every this many optimizer steps, at least 1
     */
    public PolicyEma(String target, double decay, int interval) {
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
    }

    /** @return Flow-GRPO's and GARDO's EMA: decay 0.9 every 8 steps into {@link AdapterRoles#EMA} */
    public static PolicyEma flowGrpo() {
        return new PolicyEma(AdapterRoles.EMA, 0.9, 8);
    }

    /** @return DiffusionNFT's EMA: decay 0.9 every step into {@link AdapterRoles#EMA} */
    public static PolicyEma diffusionNft() {
        return new PolicyEma(AdapterRoles.EMA, 0.9, 1);
    }

    /** @return the EMA adapter set */
    public String target() {
        return target;
    }

    /** @param steps optimizer steps taken @return whether the EMA is updated after that step */
    public boolean updatesAt(long steps) {
        return (steps + 1) % interval == 0;
    }

    /** @param steps optimizer steps taken @return {@code min((1 + steps) / (10 + steps), decay)} */
    public double decayAt(long steps) {
        return Math.min((1.0 + steps) / (10.0 + steps), decay);
    }

    @Override
    public void afterStep(Adapters adapters, TrainingProgress progress, Map<String, Double> stepMetrics) {
        long n = progress.globalStep();
        if (updatesAt(n)) {
            adapters.get(target).blend(adapters.get(AdapterRoles.POLICY), decayAt(n));
        }
    }

    @Override
    public String toString() {
        return "PolicyEma[" + target + ", decay " + decay + " every " + interval + " steps]";
    }
}
