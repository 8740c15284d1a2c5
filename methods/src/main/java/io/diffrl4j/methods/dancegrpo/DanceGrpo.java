package io.diffrl4j.methods.dancegrpo;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.advantage.StdGuard;
import io.diffrl4j.core.advantage.WeightedAdvantageSum;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.Map;

/**
 * The DanceGRPO recipe (arXiv 2505.07818; XueZeyue/DanceGRPO, {@code fastvideo/train_grpo_flux.py}
 * and {@code scripts/finetune/finetune_flux_grpo.sh}): Flow-GRPO's clipped-ratio objective on SDE
 * rollouts whose noise is constant across steps ({@link FlowGrpoSdeStep#constantNoise}), the images
 * of a group sharing their initial noise ({@code --init_same_noise}), and each image training on its
 * own random 60% of the steps ({@link FlowGrpoObjective#withStepFraction}).
 *
 * <p>Defaults from the FLUX script (no SD3.5 setting is published with this SDE; the repository's
 * SD3.5 script is a DDIM port): 16 steps at shift 3, {@code eta = 0.3}, the last step not trained
 * ({@code --ignore_last}: 15 recorded, {@code floor(15 * 0.6) = 9} trained per image), clip range
 * 1e-4, advantages per group divided by the group's unbiased std plus 1e-8 and clipped at 5, no KL,
 * no EMA. Its learning rate is 1e-5 (full fine-tuning; the trainer's setting) and its group 12 images
 * (the trainer's {@code groupSize}). FLUX is guidance-distilled ({@code --cfg 0}); on SD3.5 the
 * rollouts keep Flow-GRPO's CFG 4.5. Several rewards are mixed as in the paper, each normalised on its
 * own and summed with weights: {@link #withRewards}.
 */
public final class DanceGrpo {
    /** Sampling steps of the reference script. */
    public static final int STEPS = 16;
    /** The schedule's time shift. */
    public static final double SHIFT = 3.0;
    /** The constant {@code std_dev_t} of every SDE step ({@code --eta}). */
    public static final double ETA = 0.3;
    /** The share of an image's recorded steps it trains on ({@code --timestep_fraction}). */
    public static final double TIMESTEP_FRACTION = 0.6;
    /** The clip range ({@code --clip_range}). */
    public static final double CLIP_RANGE = 1e-4;
    /** The advantage's divisor guard, {@code std + 1e-8}. */
    public static final double STD_EPS = 1e-8;
    /** The learning rate of the script (for {@code TrainerConfig}). */
    public static final double LEARNING_RATE = 1e-5;
    /** Images per prompt in the script ({@code --num_generations}, for {@code TrainerConfig}). */
    public static final int GROUP_SIZE = 12;

    private DanceGrpo() {}

    /**
     * @return Flow-GRPO's sampler builder with 16 steps at shift 3, the constant-noise SDE on every
     *     step and a group sharing its initial noise; 15 steps recorded
     */
    public static TrajectorySampler.Builder sampler() {
        return FlowGrpo.sampler()
                .optSteps(STEPS)
                .optShift(SHIFT)
                .optStochasticStep(FlowGrpoSdeStep.constantNoise(ETA))
                .optWindow(SdeWindow.all().withSharedPrefix());
    }

    /** @return advantages per group over its unbiased std plus {@value #STD_EPS}, clipped at 5 */
    public static GroupRelativeAdvantage advantages() {
        return new GroupRelativeAdvantage(false, FlowGrpo.ADVANTAGE_CLIP, StdGuard.ADD, STD_EPS).withUnbiasedStd();
    }

    /** @return the clipped-ratio objective at clip {@value #CLIP_RANGE}, each image training 60% of its steps */
    public static FlowGrpoObjective objective() {
        return new FlowGrpoObjective(CLIP_RANGE).withStepFraction(TIMESTEP_FRACTION);
    }

    /** @return "dance-grpo": {@link #sampler()}, {@link #advantages()}, {@link #objective()}, no KL, no EMA */
    public static Method method() {
        return FlowGrpo.method(sampler().build(), 0)
                .withObjective(objective())
                .withAdvantages(advantages())
                .without(PolicyEma.STATE_KEY)
                .withName("dance-grpo");
    }

    /**
     * @param method a method
     * @param weights reward name to weight: each reward (scored by the trainer) is normalised alone
     *     as {@link #advantages()} does, and the advantages are summed with these weights
     * @return the method with that multi-reward advantage
     */
    public static Method withRewards(Method method, Map<String, Double> weights) {
        return method.withAdvantages(new WeightedAdvantageSum(weights, advantages()));
    }
}
