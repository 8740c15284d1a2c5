package io.diffrl4j.methods.dgpo;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.samplers.DpmSolverStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;
import java.util.Locale;

/**
 * The DGPO recipe (arXiv 2510.08425; Luo-Yihong/DGPO, {@code scripts/train_sd3_dgpo.py} and
 * {@code config/dgpo.py}, commit 01ceb4b): deterministic DPM-Solver++ rollouts with CFG, and
 * {@link DgpoObjective} on their clean samples at 4 of the rollout's noisiest levels, with a
 * velocity KL to the pretrained model and an "old" model for the clip that is an EMA of the policy
 * ({@code min(0.001 step, 0.3)}). One optimizer step per rollout (the trainer's setting).
 *
 * <p>Defaults from the configs for SD3.5-Medium ({@code geneval_sd3}; the README's recipe values
 * differ from the shipped configs, which are used here): 10 DPM-Solver++ 2M steps at shift 3, CFG
 * 4.5; 4 distinct levels among the first 5 ({@code trunc_steps = 4}; OCR and PickScore 6), shared by
 * a group with its noise; {@code beta_dpo = 100} (PickScore 10), clip 1e-2 (PickScore 5e-2), KL beta
 * 0.02 (PickScore 1e-3) without guidance; advantages per group over the group's std plus 1e-4
 * (OCR and PickScore: the batch's std), clipped at 5, groups that tie kept; evaluation EMA 0.9 every
 * 8 steps. Learning rate 3e-4, 16 images per prompt (PickScore 24): the trainer's settings.
 *
 * <p>Not ported: after {@code switch_ema_ref} optimizer steps (500 for GenEval, 200 otherwise) the
 * reference samples its rollouts with the old model instead of the policy; here the policy samples
 * throughout.
 */
public final class Dgpo {
    /** Rollout steps. */
    public static final int STEPS = 10;
    /** The schedule's time shift. */
    public static final double SHIFT = 3.0;
    /** The rollouts' CFG scale. */
    public static final double GUIDANCE = 4.5;
    /** Training levels per sample ({@code num_train_timesteps}). */
    public static final int LEVELS = 4;
    /** The preference temperature of the GenEval and OCR configs. */
    public static final double BETA_DPO = 100;
    /** The clip range of the GenEval and OCR configs. */
    public static final double CLIP_RANGE = 1e-2;
    /** The KL coefficient of the GenEval and OCR configs. */
    public static final double BETA = 0.02;
    /** The adapter set of the old model (the reference's {@code ema_ref}). */
    public static final String OLD_SET = "ema_ref";
    /** The learning rate of every config (for {@code TrainerConfig}). */
    public static final double LEARNING_RATE = 3e-4;
    /** Images per prompt in the GenEval and OCR configs (for {@code TrainerConfig}). */
    public static final int GROUP_SIZE = 16;

    private Dgpo() {}

    /** @return a deterministic sampler builder: 10 DPM-Solver++ 2M steps at shift 3, CFG 4.5 */
    public static TrajectorySampler.Builder sampler() {
        return TrajectorySampler.builder().optSteps(STEPS).optShift(SHIFT).optGuidanceScale(GUIDANCE)
                .optWindow(SdeWindow.none()).optOdeStep(DpmSolverStep.dpmSolverPlusPlus2());
    }

    /**
     * @param steps the rollout's steps N
     * @param shift the rollout's shift
     * @param truncSteps {@code trunc_steps}: levels {@code 0..truncSteps} of the rollout are eligible
     * @return 4 distinct eligible levels, shared within a group
     */
    public static RolloutNoiseLevels noiseLevels(int steps, double shift, int truncSteps) {
        return RolloutNoiseLevels.sharedSubset(LEVELS, steps, shift, truncSteps + 1);
    }

    /** @return the GenEval config's objective */
    public static DgpoObjective objective() {
        return new DgpoObjective(BETA_DPO, CLIP_RANGE, noiseLevels(STEPS, SHIFT, 4), OLD_SET);
    }

    /**
     * @param beta the coefficient, finite and {@code >= 0}
     * @return the velocity KL to the pretrained model, without guidance ({@code kl_cfg = 1})
     */
    public static ReferenceKl kl(double beta) {
        return new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(beta));
    }

    /** @return the old model: an EMA of the policy, {@code d = min(0.001 step, 0.3)} */
    public static EmaSchedule oldEma() {
        return new EmaSchedule(OLD_SET, new EmaDecay(0, 0.0, 0.001, 0.3));
    }

    /** @return "dgpo" with the GenEval config's settings */
    public static Method method() {
        return Method.builder("dgpo", sampler().build(), new GroupRelativeAdvantage(false, FlowGrpo.ADVANTAGE_CLIP), objective())
                .optRegularizers(List.of(kl(BETA)))
                .optSchedules(List.of(oldEma(), PolicyEma.flowGrpo()))
                .build();
    }

    /**
     * @param reward the reward trained on: {@code geneval} (and anything else), {@code ocr} or {@code pickscore}
     * @return {@link #method()} with that config's settings (OCR: levels among the first 7, the batch's
     *     std; PickScore: also {@code beta_dpo} 10, clip 5e-2, KL 1e-3)
     */
    public static Method forReward(String reward) {
        String r = reward == null ? "" : reward.toLowerCase(Locale.ROOT);
        GroupRelativeAdvantage batchStd = FlowGrpo.advantages();
        if (r.startsWith("ocr")) {
            return method().withAdvantages(batchStd)
                    .withObjective(new DgpoObjective(BETA_DPO, CLIP_RANGE, noiseLevels(STEPS, SHIFT, 6), OLD_SET));
        }
        if (r.startsWith("pickscore")) {
            return method().withAdvantages(batchStd).withKlBeta(1e-3)
                    .withObjective(new DgpoObjective(10, 5e-2, noiseLevels(STEPS, SHIFT, 6), OLD_SET));
        }
        return method();
    }
}
