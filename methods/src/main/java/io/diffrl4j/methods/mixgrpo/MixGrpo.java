package io.diffrl4j.methods.mixgrpo;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.advantage.StdGuard;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.SlidingSdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;

/**
 * The MixGRPO recipe (arXiv 2507.21802; Tencent-Hunyuan/MixGRPO, {@code fastvideo/train_grpo_flux.py}
 * and {@code scripts/finetune/finetune_flux_grpo_MixGRPO.sh}, commit e5cdd6a): Flow-GRPO whose SDE
 * steps, the only ones trained, lie in a window of 4 that slides along the 25-step schedule as
 * training goes ({@link SlidingSdeWindow}); every other step is a deterministic Euler step, so each
 * rollout costs 25 evaluations but trains on 4. The images of a group share their initial noise
 * ({@code --init_same_noise}).
 *
 * <p>Defaults from the MixGRPO script (FLUX.1-dev; no SD3.5 setting is published, so the rollouts
 * keep Flow-GRPO's SD3.5-Medium guidance 4.5): 25 steps, shift 3, {@code a = eta = 0.7}, window 4
 * moving by 1 step every 25 epochs (one epoch = one rollout of the reference's
 * {@code iters_per_group}, {@code --prog_overlap --prog_overlap_step 1 --roll_back}), clip range
 * 1e-4, advantages per group divided by the group's unbiased std plus 1e-8 and clipped at 5, no KL
 * ({@code kl_coeff 0}). Its learning rate is 1e-5 (the trainer's setting). Not ported: the Flash
 * variant, which runs the steps after the window with a compressed DPM-Solver++ schedule, and the
 * reference's multi-reward advantage mix, which is {@code WeightedRewardSum.advantages()} here.
 */
public final class MixGrpo {
    /** Sampling steps of the reference scripts. */
    public static final int STEPS = 25;
    /** The sliding window's length. */
    public static final int WINDOW = 4;
    /** Epochs between moves ({@code iters_per_group}). */
    public static final int INTERVAL = 25;
    /** The advantage's divisor guard, {@code std + 1e-8} ({@code train_grpo_flux.py}; Flow-GRPO's is 1e-4). */
    public static final double STD_EPS = 1e-8;

    private MixGrpo() {}

    /** @return the reference's window: 4 steps, moved by 1 every 25 epochs, rolling back past the end */
    public static SlidingSdeWindow window() {
        return SlidingSdeWindow.progressive(WINDOW, INTERVAL, 1, true);
    }

    /**
     * @return Flow-GRPO's sampler builder with 25 steps and the sliding window, the group sharing its
     *     initial noise
     */
    public static TrajectorySampler.Builder sampler() {
        return FlowGrpo.sampler().optSteps(STEPS).optWindow(SdeWindow.sliding(window()).withSharedPrefix());
    }

    /**
     * @return "mix-grpo": {@link FlowGrpo#method} on {@link #sampler()} without a KL, advantages
     *     divided by each group's unbiased std (torch's {@code std()}) plus {@value #STD_EPS}
     */
    public static Method method() {
        return FlowGrpo.method(sampler().build(), 0)
                .withAdvantages(new GroupRelativeAdvantage(false, FlowGrpo.ADVANTAGE_CLIP, StdGuard.ADD, STD_EPS).withUnbiasedStd())
                .withName("mix-grpo");
    }
}
