package io.diffrl4j.methods.crd;

import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.regularizers.crd.KlStrengthMode;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.advantage.StdGuard;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.AdapterSchedule;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.List;

/**
 * CRD, Centered Reward Distillation (docs/ALGORITHMS.md 7), as a {@link Method}: ODE rollouts (10 steps,
 * guidance 1, shift 3) drawn with a decoupled sampler snapshot, group-relative advantages, the
 * centred reward-matching {@link CrdObjective} against the moving reference "old", the
 * {@link CfgAnchoredKl} to the pretrained model at CFG 4.5 with the reward-adaptive per-sample
 * strength, and two EMA snapshots of the policy, "old" and "sampler", each on its own schedule
 * ({@code snap <- d snap + (1 - d) theta} after every epoch, {@code d} from {@link EmaDecay} at the
 * global optimizer step).
 *
 * <p>Every part can be switched off or replaced alone by replacing the strategy that owns it:
 * <pre>{@code
 * Method m = Crd.method(SamplerMode.ON_POLICY)                       // sampler decoupling off
 *         .withObjective(new CrdObjective(1.0, ImplicitRewardForm.PLAIN, CenteringScope.MICRO_BATCH,
 *                 MatchingLoss.BCE, new StratifiedRolloutNoiseLevels(), AdapterRoles.OLD))
 *         .withRegularizer(new CfgAnchoredKl(4.5, KlStrengthMode.CONSTANT.create(0.1, 0)))
 *         .withSchedule(Crd.oldEma(EmaDecay.parse("0-0.5-0.005-0.999")))
 *         .without("regularizer:kl");                                // KL off
 * }</pre>
 */
public final class Crd {
    /** The moving reference's decay for OCR (paper table): start 0, d0 0.25, slope 0.005, max 0.999. */
    public static final String OLD_DECAY_OCR = "0-0.25-0.005-0.999";
    /** The sampler's decay for OCR: on-policy ({@code d = 0}) until step 75, then ramps by 0.0075 to 0.999. */
    public static final String SAMPLER_DECAY_OCR = "75-0.0-0.0075-0.999";

    /** Flow-Factory's advantage divisor {@code max(std, 1e-6)} (advantage_processor.py). */
    public static final double ADVANTAGE_STD_FLOOR = 1e-6;

    /** The KL coefficient {@code beta} at full reward. */
    public static final double BETA = 0.1;
    /** The KL coefficient at zero reward of the reward-adaptive strength. */
    public static final double BETA_FLOOR = 1e-4;

    private Crd() {}

    /** @return an ODE sampler builder: 10 steps, shift 3, no guidance */
    public static TrajectorySampler.Builder sampler() {
        return TrajectorySampler.builder()
                .optSteps(10)
                .optShift(3.0)
                .optGuidanceScale(1.0)
                .optWindow(SdeWindow.none());
    }

    /**
     * @return group-relative advantages divided by the batch's std floored at
     *     {@value #ADVANTAGE_STD_FLOOR}, clipped at 5 (Flow-Factory's advantage processor)
     */
    public static GroupRelativeAdvantage advantages() {
        return new GroupRelativeAdvantage(true, CenteredRewardMatching.ADVANTAGE_SCALE, StdGuard.FLOOR, ADVANTAGE_STD_FLOOR);
    }

    /**
     * @param beta the KL coefficient {@code beta} at full reward, finite and {@code >= 0}
     * @return the {@link CfgAnchoredKl} to the pretrained model at CFG {@value CfgAnchoredKl#DEFAULT_GUIDANCE}
     *     with the per-sample reward-adaptive strength floored at {@value #BETA_FLOOR}
     */
    public static CfgAnchoredKl kl(double beta) {
        return new CfgAnchoredKl(CfgAnchoredKl.DEFAULT_GUIDANCE, KlStrengthMode.PER_SAMPLE.create(beta, BETA_FLOOR));
    }

    /** @param decay the moving reference's decay @return the EMA of the policy into "old" */
    public static EmaSchedule oldEma(EmaDecay decay) {
        return new EmaSchedule(AdapterRoles.OLD, decay);
    }

    /** @param decay the sampler's decay @return the EMA of the policy into "sampler" */
    public static EmaSchedule samplerEma(EmaDecay decay) {
        return new EmaSchedule(AdapterRoles.SAMPLER, decay);
    }

    /** @return CRD with the paper's defaults, rollouts from the decoupled sampler snapshot */
    public static Method method() {
        return method(SamplerMode.DECOUPLED);
    }

    /**
     * @param mode which set draws the rollouts
     * @return "crd": {@link #sampler()} drawing with {@link SamplerMode#samplingSet()},
     *     {@link #advantages()}, a default {@link CrdObjective} against "old", {@link #kl(double)} at
     *     {@value #BETA}, {@link #oldEma(EmaDecay)} at {@value #OLD_DECAY_OCR}, when decoupled
     *     {@link #samplerEma(EmaDecay)} at {@value #SAMPLER_DECAY_OCR}, and {@link PolicyEma#crd()}
     */
    public static Method method(SamplerMode mode) {
        List<AdapterSchedule> schedules = new ArrayList<>();
        schedules.add(oldEma(EmaDecay.parse(OLD_DECAY_OCR)));
        if (mode == SamplerMode.DECOUPLED) {
            schedules.add(samplerEma(EmaDecay.parse(SAMPLER_DECAY_OCR)));
        }
        schedules.add(PolicyEma.crd());
        return Method.builder("crd", sampler().build(), advantages(), new CrdObjective())
                .optSamplingSet(mode.samplingSet())
                .optRegularizers(List.of(kl(BETA)))
                .optSchedules(schedules)
                .build();
    }
}
