package io.diffrl4j.methods.nft;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.RolloutNoiseLevels;
import io.diffrl4j.core.flow.TrainingNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.samplers.DpmSolverStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;

/**
 * The DiffusionNFT recipe (docs/ALGORITHMS.md 5): deterministic rollouts (second-order DPM-Solver++,
 * the reference's {@code solver="dpm2"}) drawn with the "old" adapter set, group-relative
 * advantages, the forward-process {@link DiffusionNftObjective}, a velocity-MSE KL to the pretrained
 * model at guidance 1, the "old" set as an EMA of the policy ({@code old <- d old + (1 - d) theta},
 * {@code d = min(0.001 step, 0.5)}) and the evaluation EMA. Defaults are the reference's
 * {@code config/base.py} for SD3.5-Medium; {@link DiffusionNftRecipe} holds its per-reward settings.
 *
 * <p>Change a setting by replacing the strategy that owns it:
 * <pre>{@code
 * Method m = DiffusionNft.method()
 *         .withObjective(new DiffusionNftObjective(0.1, DiffusionNft.noiseLevels(1.0), AdapterRoles.OLD))
 *         .withSchedule(DiffusionNft.oldEma(new EmaDecay(75, 0.0, 0.0075, 0.999)))
 *         .withKlBeta(1e-3);
 * }</pre>
 */
public final class DiffusionNft {
    /** The KL coefficient {@code beta} of the velocity MSE to the pretrained model. */
    public static final double BETA = 1e-4;
    /** The advantage clip, which is also the objective's scale of {@code r = clip(A) / (2 * clip) + 1/2}. */
    public static final double ADVANTAGE_CLIP = DiffusionNftObjective.ADVANTAGE_SCALE;

    private DiffusionNft() {}

    /** @return an ODE sampler builder: 10 steps, shift 3, no guidance, {@link DpmSolverStep#dpmSolverPlusPlus2()} */
    public static TrajectorySampler.Builder sampler() {
        return TrajectorySampler.builder()
                .optSteps(10)
                .optShift(3.0)
                .optGuidanceScale(1.0)
                .optWindow(SdeWindow.none())
                .optOdeStep(DpmSolverStep.dpmSolverPlusPlus2());
    }

    /**
     * @param trainFraction the share of the rollout's levels each sample trains on,
     *     {@code timestep_fraction} (0.99 in the reference: 9 of 10; 1.0 in GARDO's NFT config)
     * @return {@link RolloutNoiseLevels} of the recipe's 10-step shift-3 rollouts, a random
     *     {@code floor(10 * trainFraction)} of them per sample as the reference's {@code randperm};
     *     {@link DiscreteNoiseLevels} (the paper's description) is the option
     */
    public static TrainingNoiseLevels noiseLevels(double trainFraction) {
        return new RolloutNoiseLevels(10, 3.0, trainFraction);
    }

    /** @return group-relative advantages divided by the batch's std, clipped at {@value #ADVANTAGE_CLIP} */
    public static GroupRelativeAdvantage advantages() {
        return new GroupRelativeAdvantage(true, ADVANTAGE_CLIP);
    }

    /**
     * @param beta the KL coefficient {@code beta}, finite and {@code >= 0}
     * @return the velocity MSE to the pretrained model at guidance 1
     */
    public static ReferenceKl kl(double beta) {
        return new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(beta));
    }

    /** @param decay the decay of "old" @return the EMA of the policy into "old" */
    public static EmaSchedule oldEma(EmaDecay decay) {
        return new EmaSchedule(AdapterRoles.OLD, decay);
    }

    /**
     * @return "diffusion-nft": {@link #sampler()} drawing with "old", {@link #advantages()}, a default
     *     {@link DiffusionNftObjective} ({@code beta_nft = 1}, {@link #noiseLevels(double)} at 0.99),
     *     {@link #kl(double)} at {@value #BETA}, {@link #oldEma(EmaDecay)} at
     *     {@link EmaDecay#diffusionNftOld()} and {@link PolicyEma#diffusionNft()}
     */
    public static Method method() {
        return Method.builder("diffusion-nft", sampler().build(), advantages(), new DiffusionNftObjective())
                .optSamplingSet(AdapterRoles.OLD)
                .optRegularizers(List.of(kl(BETA)))
                .optSchedules(List.of(oldEma(EmaDecay.diffusionNftOld()), PolicyEma.diffusionNft()))
                .build();
    }
}
