package io.diffrl4j.methods.flowgrpo;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.samplers.LogProbReduction;
import io.diffrl4j.samplers.ReferenceKlSampler;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;

/**
 * The Flow-GRPO recipe (docs/ALGORITHMS.md 3, 4, 9): SDE rollouts on every step drawn with the
 * policy, group-relative advantages, the clipped-ratio {@link FlowGrpoObjective}, a KL of the
 * transition mean to the pretrained model at the sampling guidance, and the evaluation EMA of the
 * policy. Defaults are the SD3.5-Medium recipe of flow_grpo's {@code config/grpo.py}.
 *
 * <p>Each setting lives in the strategy that uses it; change one by replacing that strategy:
 * <pre>{@code
 * Method m = FlowGrpo.method()
 *         .withSampler(FlowGrpo.sampler().optSteps(20).build())   // steps, shift, CFG, noise level a
 *         .withObjective(new FlowGrpoObjective(2e-4))              // clip range
 *         .withKlBeta(0.01)                                        // the KL's beta
 *         .without(PolicyEma.STATE_KEY);                           // no evaluation EMA
 * }</pre>
 */
public final class FlowGrpo {
    /** The KL coefficient {@code beta} of the SD3.5-Medium configs. */
    public static final double BETA = 0.04;
    /** The SDE noise level {@code a}. */
    public static final double NOISE_LEVEL = 0.7;
    /** The CFG scale of rollouts and training. */
    public static final double GUIDANCE = 4.5;
    /** The advantage clip. */
    public static final double ADVANTAGE_CLIP = 5.0;

    private FlowGrpo() {}

    /**
     * @return a sampler builder holding the recipe's rollouts: 10 steps, shift 3, CFG
     *     {@value #GUIDANCE}, {@link FlowGrpoSdeStep} with {@code a =} {@value #NOISE_LEVEL} and
     *     per-sample mean log-probabilities on every step, {@code floor(10 * 0.99) = 9} steps trained
     */
    public static TrajectorySampler.Builder sampler() {
        return TrajectorySampler.builder()
                .optSteps(10)
                .optShift(3.0)
                .optGuidanceScale(GUIDANCE)
                .optStochasticStep(new FlowGrpoSdeStep(NOISE_LEVEL, LogProbReduction.MEAN))
                .optWindow(SdeWindow.all())
                .optTrainFraction(0.99);
    }

    /** @return group-relative advantages divided by the batch's std, clipped at {@value #ADVANTAGE_CLIP} */
    public static GroupRelativeAdvantage advantages() {
        return new GroupRelativeAdvantage(true, ADVANTAGE_CLIP);
    }

    /**
     * @param beta the KL coefficient {@code beta}, finite and {@code >= 0}
     * @return the KL of the transition mean to the pretrained model at the sampling guidance, in
     *     the reference code's variance form
     */
    public static ReferenceKl kl(double beta) {
        return new ReferenceKl(null, null, KlForm.CODE, KlStrength.constant(beta));
    }

    /** @return Flow-GRPO with the SD3.5-Medium defaults */
    public static Method method() {
        return method(sampler().build(), BETA);
    }

    /**
     * @param sampler draws the rollouts (start from {@link #sampler()})
     * @param beta the KL coefficient; 0 leaves the KL out
     * @return "flow-grpo": the policy samples, {@link #advantages()}, a default {@link FlowGrpoObjective},
     *     {@link #kl(double)} and {@link PolicyEma#flowGrpo()}
     */
    public static Method method(Sampler sampler, double beta) {
        List<Regularizer> kl = beta == 0 ? List.of() : List.of(kl(beta));
        return Method.builder("flow-grpo", sampler, advantages(), new FlowGrpoObjective())
                .optRegularizers(kl)
                .optSchedules(List.of(PolicyEma.flowGrpo()))
                .build();
    }

    /**
     * Flow-GRPO's former KL-in-reward ({@code config.sample.kl_reward}, 0 in every config flow_grpo
     * shipped and removed in its commit 2d76907): the rollouts also record each step's KL to the
     * pretrained model ({@link ReferenceKlSampler}), the reward of step {@code t} becomes
     * {@code r - c kl_t} and every step trains on its own advantages.
     *
     * @param method a Flow-GRPO method
     * @param coefficient {@code c}, finite and {@code > 0}
     * @return the method with its sampler recording the KL and every other setting of its objective
     *     kept (clip, CFG handling, RatioNorm)
     * @throws IllegalArgumentException when the method's objective is not a {@link FlowGrpoObjective},
     *     or its advantages are not group-relative
     */
    public static Method withKlReward(Method method, double coefficient) {
        if (!(coefficient > 0) || Double.isInfinite(coefficient)) {
            throw new IllegalArgumentException("the KL-in-reward coefficient must be finite and > 0, got " + coefficient);
        }
        if (!(method.objective() instanceof FlowGrpoObjective objective)
                || !(method.advantages() instanceof GroupRelativeAdvantage advantages)) {
            throw new IllegalArgumentException("the KL-in-reward needs Flow-GRPO's objective and group-relative "
                    + "advantages; method " + method.name() + " has " + method.objective().getClass().getSimpleName()
                    + " and " + method.advantages().getClass().getSimpleName());
        }
        // The KL-in-reward's reference is the pretrained model (the reference code's disable_adapter()).
        return method.withSampler(new ReferenceKlSampler(method.sampler(), null))
                .withObjective(objective.withKlReward(coefficient, advantages));
    }
}
