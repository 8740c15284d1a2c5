package io.diffrl4j.methods.grpoguard;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;

/**
 * The GRPO-Guard recipe (arXiv 2510.22319; flow_grpo's {@code scripts/train_sd3_GRPO_Guard.py} and
 * {@code config/grpo_guard.py}, commit 2e2f712): Flow-GRPO whose importance ratio is normalised
 * (RatioNorm) and whose steps' losses are reweighted by {@code 1 / |dt|}
 * ({@link FlowGrpoObjective#withRatioNorm}), which curbs over-optimisation without a KL. Everything
 * else is Flow-GRPO's SD3.5-Medium recipe: the same SDE rollouts (10 steps, a = 0.7, CFG 4.5, 9
 * trained steps) and evaluation EMA.
 *
 * <p>Defaults from {@code config/grpo_guard.py} ({@code general_ocr_sd3_rationorm},
 * {@code geneval_sd3_rationorm}): clip range {@value #CLIP_RANGE} (PickScore's config uses
 * {@value #CLIP_RANGE_PICKSCORE}), no KL ({@code beta = 0}), advantages divided by each group's own
 * std ({@code global_std = False}). The configs also lower the learning rate to 1e-4 (Flow-GRPO's is
 * 3e-4): that is the trainer's setting ({@code TrainerConfig.Builder.optLearningRate}).
 *
 * <p>Flow-Factory's port ({@code GRPOGuardTrainer}) normalises the ratio the same way but leaves out
 * the {@code 1 / |dt|} reweighting; this recipe follows flow_grpo, where the method was published.
 */
public final class GrpoGuard {
    /** The clip range of the OCR and GenEval configs. */
    public static final double CLIP_RANGE = 2e-6;
    /** The clip range of the PickScore config. */
    public static final double CLIP_RANGE_PICKSCORE = 4e-6;
    /** The learning rate of every GRPO-Guard config (for {@code TrainerConfig}). */
    public static final double LEARNING_RATE = 1e-4;

    private GrpoGuard() {}

    /** @return RatioNorm with the configs' clip range, without the KL-in-reward */
    public static FlowGrpoObjective objective() {
        return new FlowGrpoObjective(CLIP_RANGE).withRatioNorm(true);
    }

    /**
     * @return "grpo-guard": {@link FlowGrpo#method} without a KL, with {@link #objective()} and
     *     group-relative advantages divided by each group's std, clipped at 5
     */
    public static Method method() {
        return FlowGrpo.method(FlowGrpo.sampler().build(), 0)
                .withObjective(objective())
                .withAdvantages(new GroupRelativeAdvantage(false, FlowGrpo.ADVANTAGE_CLIP))
                .withName("grpo-guard");
    }
}
