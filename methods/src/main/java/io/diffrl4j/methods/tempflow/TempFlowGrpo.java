package io.diffrl4j.methods.tempflow;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.flowgrpo.FlowGrpoObjective;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.Locale;

/**
 * The TempFlow-GRPO recipe (Shredded-Pork/TempFlow-GRPO, {@code scripts/train_sd3_pr.py},
 * {@code flow_grpo/diffusers_patch/sd3_pipeline_with_logprob_perstep.py} and {@code config/dgx.py},
 * commit e66824e). Trajectory branching: a prompt's images share one deterministic (ODE, CFG)
 * trajectory up to a branch step, take one SDE step there each with its own noise, and finish
 * deterministically; so the reward differences within the group are due to that one step alone,
 * which is the only one trained (a process reward for it). Noise-aware weighting: the step's loss is
 * multiplied by {@code 2.25 std_dev_t sqrt(|dt|)} ({@link FlowGrpoObjective#withNoiseAwareWeight}).
 *
 * <p>Defaults from {@code geneval_sd3_pr}: Flow-GRPO's SD3.5-Medium rollouts (10 steps, shift 3,
 * CFG 4.5, {@code a = 0.7}) with the branch at one of the 9 trained steps, clip 1e-4, KL beta 0.004
 * (PickScore 0.001) in Flow-GRPO's form, advantages per group over the group's std plus 1e-4
 * (OCR: the batch's), clipped at 5, the evaluation EMA. Its group is the 6 children of a branch
 * ({@code exploration_k}, the trainer's {@code groupSize}); its learning rate 3e-4.
 *
 * <p>Deviation: the reference branches at all 9 steps of every initial noise (9 groups of 6
 * children per noise, 54 images). Here a sampling batch branches at one step drawn uniformly from
 * the 9 (a Flow-GRPO-Fast window of one step with a shared prefix): the per-group math is the
 * reference's, every step is trained across epochs, and an epoch costs what Flow-GRPO-Fast's does.
 */
public final class TempFlowGrpo {
    /** The noise-aware weight's scale (the loss's {@code 2.25 * std_dev_t}). */
    public static final double WEIGHT_SCALE = 2.25;
    /** The KL coefficient of the GenEval and OCR configs. */
    public static final double BETA = 0.004;
    /** Children per branch ({@code exploration_k}, for {@code TrainerConfig}'s group size). */
    public static final int GROUP_SIZE = 6;

    private TempFlowGrpo() {}

    /** @return Flow-GRPO's sampler builder branching a group at one of the 9 trained steps from a shared ODE prefix */
    public static TrajectorySampler.Builder sampler() {
        return FlowGrpo.sampler().optWindow(SdeWindow.random(1, 0, 9).withSharedPrefix());
    }

    /** @return Flow-GRPO's objective with the noise-aware weight */
    public static FlowGrpoObjective objective() {
        return new FlowGrpoObjective().withNoiseAwareWeight(WEIGHT_SCALE);
    }

    /** @return "tempflow-grpo" with the GenEval config's settings */
    public static Method method() {
        return FlowGrpo.method(sampler().build(), BETA)
                .withObjective(objective())
                .withAdvantages(new GroupRelativeAdvantage(false, FlowGrpo.ADVANTAGE_CLIP))
                .withName("tempflow-grpo");
    }

    /**
     * @param reward the reward trained on: {@code geneval} (and anything else), {@code ocr} or {@code pickscore}
     * @return {@link #method()} with that config's settings (OCR: the batch's std; PickScore: KL beta 0.001)
     */
    public static Method forReward(String reward) {
        String r = reward == null ? "" : reward.toLowerCase(Locale.ROOT);
        if (r.startsWith("ocr")) {
            return method().withAdvantages(FlowGrpo.advantages());
        }
        if (r.startsWith("pickscore")) {
            return method().withKlBeta(0.001);
        }
        return method();
    }
}
