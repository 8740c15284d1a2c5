package io.diffrl4j.regularizers.gardo;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.AdvantageEstimator;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.schedule.AdapterSchedule;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.nft.DiffusionNft;
import java.util.ArrayList;
import java.util.List;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * GARDO (docs/ALGORITHMS.md 6) as a {@link Method}: a base algorithm (Flow-GRPO or DiffusionNFT, built
 * by its own factory) with its KL regularizer, advantage estimator, schedules and snapshots
 * replaced or extended by GARDO's three parts:
 *
 * <ul>
 *   <li>regularizer: a {@link GatedKl} with constant {@link GardoConfig#klBeta()} (a plain
 *       {@link ReferenceKl} when the gate is off; none when beta is 0), measured against
 *       {@link AdapterRoles#REFERENCE} (the pretrained model when the adaptive reference is off);</li>
 *   <li>schedules: the base's, plus an {@link AdaptiveReference} when it is on;</li>
 *   <li>snapshots: the base's, plus {@link AdapterRoles#REFERENCE} when it is on;</li>
 *   <li>advantages: {@link DiversityAwareAdvantage} with the config's embedder (the base's
 *       group-relative advantage when diversity is off).</li>
 * </ul>
 *
 * Micro-batches: both recipes train whole groups (the {@code TrainerConfig} default, one group per
 * micro-batch); GARDO's scripts shuffle the epoch's images into micro-batches of 9 that mix prompts
 * ({@code randperm(total_batch_size)}, {@code train.batch_size = 9}), which is
 * {@code TrainerConfig.Builder.optShuffledMicroBatches(9)}.
 *
 * <p>The sampler, sampling set and policy objective are the base's. The auxiliary rewards of the
 * gate are whatever the trainer scores besides the proxy ({@code Trainer.Builder.addAuxiliaryReward};
 * a subset by name through {@link GateConfig.Builder#optAuxiliaries}).
 */
public final class Gardo {
    private static final Logger LOG = LoggerFactory.getLogger(Gardo.class);

    /** GARDO's official Flow-GRPO configs train {@code floor(10 * 0.89) = 8} of the 10 steps (docs/ALGORITHMS.md 9). */
    public static final double FLOW_GRPO_TRAIN_FRACTION = 0.89;

    private Gardo() {}

    /**
     * @return the Flow-GRPO base GARDO runs on by default: {@link FlowGrpo.Config} defaults (SD3.5-M,
     *     10 SDE steps, CFG 4.5, a = 0.7, clip 1e-4, the evaluation EMA as GARDO's
     *     {@code config/gardo.py} {@code train.ema=True}) training 8 of the 10 steps
     */
    public static FlowGrpo.Config flowGrpoBase() {
        return FlowGrpo.Config.builder().optTrainFraction(FLOW_GRPO_TRAIN_FRACTION).build();
    }

    /**
     * @param config GARDO's settings (start from {@link GardoConfig#forFlowGrpo()})
     * @return GARDO on the default Flow-GRPO base ({@link #flowGrpoBase()})
     */
    public static Method onFlowGrpo(GardoConfig config) {
        return onFlowGrpo(flowGrpoBase(), config);
    }

    /**
     * @param base the Flow-GRPO settings (sampler, objective, KL form, advantages when diversity is
     *     off); its beta is replaced by GARDO's
     * @param config GARDO's settings
     * @return "gardo-flow-grpo": the KL is the Gaussian-mean KL of the transition at the sampling
     *     guidance, in the base's {@link KlForm}
     */
    public static Method onFlowGrpo(FlowGrpo.Config base, GardoConfig config) {
        return compose("gardo-flow-grpo", FlowGrpo.defaults(base), null, base.klForm(), config);
    }

    /** GARDO's NFT config trains every one of the rollout's 10 levels ({@code timestep_fraction = 1.0}). */
    public static final double DIFFUSION_NFT_TRAIN_FRACTION = 1.0;

    /**
     * @return the DiffusionNFT base GARDO runs on by default: {@link DiffusionNft.Config} defaults
     *     training all 10 rollout levels per sample (GARDO's {@code config/base.py}
     *     {@code timestep_fraction = 1.0}) and no evaluation EMA ({@code train.ema = False} in
     *     {@code config/base.py}, which GARDO's {@code nft_sd3_geneval} keeps; its Flow-GRPO configs
     *     set {@code train.ema = True}, as {@link #flowGrpoBase()} does)
     */
    public static DiffusionNft.Config diffusionNftBase() {
        return DiffusionNft.Config.builder().optTrainFraction(DIFFUSION_NFT_TRAIN_FRACTION).optEma(false).build();
    }

    /**
     * @param config GARDO's settings (start from {@link GardoConfig#forDiffusionNft()})
     * @return GARDO on the default DiffusionNFT base ({@link #diffusionNftBase()})
     */
    public static Method onDiffusionNft(GardoConfig config) {
        return onDiffusionNft(diffusionNftBase(), config);
    }

    /**
     * @param base the DiffusionNFT settings; its KL beta is replaced by GARDO's
     * @param config GARDO's settings
     * @return "gardo-diffusion-nft": the KL is the velocity MSE at guidance 1; rollouts still come
     *     from the base's EMA "old" set
     */
    public static Method onDiffusionNft(DiffusionNft.Config base, GardoConfig config) {
        return compose("gardo-diffusion-nft", DiffusionNft.defaults(base), 1.0, KlForm.CODE, config);
    }

    /**
     * Swaps the gated KL of a GARDO method for another, typically a subclass with its own
     * uncertainty: {@code Gardo.replaceGate(method, MyGate::new)} where {@code MyGate(GatedKl)} calls
     * {@code super(template)}.
     *
     * @param method a method with one {@link GatedKl} among its regularizers
     * @param replacement makes the new gate from the old one
     * @return the method with the replacement in its place
     * @throws IllegalArgumentException when the method has no gated KL
     */
    public static Method replaceGate(Method method, UnaryOperator<GatedKl> replacement) {
        List<Regularizer> out = new ArrayList<>();
        boolean found = false;
        for (Regularizer r : method.regularizers()) {
            if (r instanceof GatedKl g && !found) {
                out.add(replacement.apply(g));
                found = true;
            } else {
                out.add(r);
            }
        }
        if (!found) {
            throw new IllegalArgumentException("method '" + method.name() + "' has no gated KL to replace (is the gate off?)");
        }
        return method.withRegularizers(out);
    }

    private static Method compose(String name, Method base, Double klGuidance, KlForm form, GardoConfig config) {
        boolean kl = config.klBeta() > 0;
        boolean adaptive = kl && config.adaptiveReference();
        String reference = adaptive ? config.referenceConfig().target() : null;
        List<Regularizer> regularizers = new ArrayList<>();
        if (kl) {
            KlStrength beta = KlStrength.constant(config.klBeta());
            regularizers.add(config.gate() ? new GatedKl(reference, klGuidance, form, beta, config.gateConfig(),
                    config.klOnAllWhenNoneGated())
                    : new ReferenceKl(reference, klGuidance, form, beta));
        }
        List<AdapterSchedule> schedules = new ArrayList<>(base.schedules());
        if (adaptive) {
            AdaptiveReferenceConfig renewal = config.referenceConfig();
            if (!config.gate() && AdaptiveReferenceConfig.GATED_METRIC.equals(renewal.metric())) {
                // Without a gate there is no gated KL: every sample's KL is the one regularised.
                renewal = renewal.withMetric(AdaptiveReferenceConfig.UNGATED_METRIC);
            }
            schedules.add(new AdaptiveReference(renewal));
        }
        AdvantageEstimator advantages = config.diversity()
                ? new DiversityAwareAdvantage(config.embedder(), config.advantageClip(), config.advantageBatchStd())
                : base.advantages();
        LOG.info("{}: {}", name, config);
        if (!kl && config.adaptiveReference()) {
            LOG.info("{}: KL beta is 0, so there is no KL and no reference to renew", name);
        }
        return new Method(name, base.sampler(), base.samplingSet(), advantages, base.objective(), regularizers, schedules);
    }
}
