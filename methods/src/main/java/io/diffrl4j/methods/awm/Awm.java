package io.diffrl4j.methods.awm;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import java.util.Locale;

/**
 * The Advantage Weighted Matching recipe (arXiv 2509.25050; scxue/advantage_weighted_matching,
 * {@code scripts/train_sd3_awm.py} and {@code config/dgx_awm.py}, commit be51372): the policy's own
 * rollouts without guidance, {@link AwmObjective} on 6 levels per sample stratified over the
 * rollout's levels, a KL to the pretrained model ({@code beta}) and a KL to an EMA of the policy
 * ({@code ema_beta = 1}) whose decay ramps as {@code min(0.001 step, 0.3)}, both velocity MSEs
 * without guidance. On-policy: one optimizer step per rollout (the trainer's
 * {@code optimizerStepsPerEpoch = 1}).
 *
 * <p>Defaults from the SD3.5-Medium configs ({@code geneval_sd3_no_cfg}, {@code ocr_sd3_no_cfg},
 * {@code pickscore_sd3_no_cfg}): 14 steps at shift 3, guidance 1 everywhere; levels
 * {@code discrete_wo_init} (strata over indices {@code 1..int(14 * 0.9) = 12}; PickScore
 * {@code discrete}, from index 0); ghuber weighting with {@code p = 0.25}; advantages per prompt over
 * the batch's std plus 1e-4 (Flow-GRPO's), clipped at 5 and divided by 5; beta 1e-3 (GenEval), 3e-3
 * (OCR), 1e-4 (PickScore); evaluation EMA {@code min((1 + n) / (10 + n), 0.99)} every step. Its
 * learning rate is 3e-4 and its group 24 images (the trainer's settings).
 *
 * <p>Not ported: the SA-Solver rollouts (stochastic in {@code 0.3 <= t <= 0.9} at noise level 0.4;
 * here a deterministic Euler ODE on the same grid: AWM trains on clean samples, so any sampler
 * serves, but the reference's noise adds diversity within a group); the levels are shared within a
 * group, where the reference draws them once per micro-batch of 3 images; the reference skips
 * training in its first two epochs.
 */
public final class Awm {
    /** Rollout steps. */
    public static final int STEPS = 14;
    /** The schedule's time shift. */
    public static final double SHIFT = 3.0;
    /** Training levels per sample ({@code train_timesteps}). */
    public static final int LEVELS = 6;
    /** The share of the rollout's levels the strata span ({@code timestep_fraction}). */
    public static final double TIMESTEP_FRACTION = 0.9;
    /** The generalised Huber power ({@code ghuber_power}). */
    public static final double GHUBER_POWER = 0.25;
    /** The KL-to-pretrained coefficient of the GenEval config. */
    public static final double BETA = 1e-3;
    /** The KL-to-EMA coefficient ({@code ema_beta}). */
    public static final double EMA_BETA = 1.0;
    /** The adapter set of the EMA the second KL is measured against (the reference's {@code "ema"} adapter). */
    public static final String KL_EMA_SET = "kl_ema";
    /** The name of the second KL: its metric and its checkpoint key. */
    public static final String KL_EMA_NAME = "kl_ema";
    /** The learning rate of every config (for {@code TrainerConfig}). */
    public static final double LEARNING_RATE = 3e-4;
    /** Images per prompt in every config (for {@code TrainerConfig}). */
    public static final int GROUP_SIZE = 24;

    private Awm() {}

    /** @return an ODE sampler builder: 14 Euler steps at shift 3, guidance 1 */
    public static TrajectorySampler.Builder sampler() {
        return TrajectorySampler.builder().optSteps(STEPS).optShift(SHIFT).optGuidanceScale(1.0).optWindow(SdeWindow.none());
    }

    /**
     * @param steps the rollout's steps N
     * @param shift the rollout's shift
     * @param first the first level index of the strata: 1 ({@code discrete_wo_init}) or 0 ({@code discrete})
     * @return 6 levels per sample stratified over indices {@code first..int(N * 0.9)} of the rollout's levels
     */
    public static StratifiedRolloutNoiseLevels noiseLevels(int steps, double shift, int first) {
        return StratifiedRolloutNoiseLevels.overIndices(LEVELS, steps, shift, first, (int) (steps * TIMESTEP_FRACTION));
    }

    /** @return the GenEval config's objective: {@code discrete_wo_init} levels of the recipe's rollout, ghuber p = 0.25 */
    public static AwmObjective objective() {
        return new AwmObjective(noiseLevels(STEPS, SHIFT, 1), TimeWeighting.ghuber(GHUBER_POWER));
    }

    /**
     * @param beta the coefficient, finite and {@code >= 0}
     * @return the KL to the pretrained model: velocity MSE without guidance
     */
    public static ReferenceKl kl(double beta) {
        return new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(beta));
    }

    /**
     * @param beta the coefficient ({@code ema_beta}), finite and {@code >= 0}
     * @return the KL to the EMA of the policy, named {@value #KL_EMA_NAME}: velocity MSE without guidance
     */
    public static ReferenceKl emaKl(double beta) {
        return new ReferenceKl(KL_EMA_SET, 1.0, KlForm.CODE, KlStrength.constant(beta)).named(KL_EMA_NAME);
    }

    /** @return the EMA the second KL reads: {@code d = min(0.001 step, 0.3)}, blended after each epoch */
    public static EmaSchedule emaAnchor() {
        return new EmaSchedule(KL_EMA_SET, new EmaDecay(0, 0.0, 0.001, 0.3));
    }

    /** @return advantages per prompt over the batch's std plus 1e-4, clipped at 5 (the objective divides by 5) */
    public static GroupRelativeAdvantage advantages() {
        return FlowGrpo.advantages();
    }

    /** @return "awm" with the GenEval config's settings */
    public static Method method() {
        return Method.builder("awm", sampler().build(), advantages(), objective())
                .optRegularizers(List.of(kl(BETA), emaKl(EMA_BETA)))
                .optSchedules(List.of(emaAnchor(), new PolicyEma(AdapterRoles.EMA, 0.99, 1)))
                .build();
    }

    /**
     * @param reward the reward trained on: {@code geneval} (and anything else), {@code ocr} or {@code pickscore}
     * @return {@link #method()} with that config's beta (3e-3 for OCR, 1e-4 for PickScore) and, for
     *     PickScore, levels from index 0 ({@code discrete})
     */
    public static Method forReward(String reward) {
        String r = reward == null ? "" : reward.toLowerCase(Locale.ROOT);
        if (r.startsWith("ocr")) {
            return method().withKlBeta(3e-3);
        }
        if (r.startsWith("pickscore")) {
            return method().withKlBeta(1e-4)
                    .withObjective(new AwmObjective(noiseLevels(STEPS, SHIFT, 0), TimeWeighting.ghuber(GHUBER_POWER)));
        }
        return method();
    }
}
