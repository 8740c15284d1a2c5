package io.diffrl4j.examples.shapes.demo;

import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.examples.shapes.ShapesEvaluation;
import io.diffrl4j.regularizers.crd.Crd;
import io.diffrl4j.regularizers.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.Gardo;
import io.diffrl4j.regularizers.gardo.GardoConfig;
import io.diffrl4j.regularizers.nft.DiffusionNft;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.List;

/**
 * The methods the Shapes demo runs, by the names users type, each with the papers' defaults
 * except what a 2-core CPU budget forces (stated here and in the run's summary): 10 sampling steps
 * at shift 1 (a 32 x 32 image needs no shift), a Flow-GRPO-Fast window of 2 trained SDE steps
 * instead of 9, 6 training noise levels instead of 19 for the forward-process methods, and the
 * evaluation guidance 3 for the CFG methods.
 */
public final class ShapesMethods {
    /** The methods: what the commands list and compare by default. */
    public static final List<String> NAMES = List.of("gardo", "flow-grpo", "flow-grpo-kl", "diffusion-nft", "crd");

    /**
     * Variants for ablations, accepted wherever a method is named but not run by default:
     * {@code gardo-std} is GARDO with its advantage divided by the batch's reward std, as Flow-GRPO's;
     * {@code flow-grpo-full} is Flow-GRPO without the Fast window, as the reference trains it: SDE sampling on
     * every step and 9 of the 10 steps trained (4.5 times the log-prob terms of the window, about twice the time);
     * {@code flow-grpo-shared} is Flow-GRPO-Fast with a group's images sharing their initial noise and deterministic
     * prefix (the reference's {@code same_latent = True}), so that the reward differences within a group come from the
     * trained SDE steps alone; {@code gardo-b04} is GARDO at Flow-GRPO-KL's KL beta 0.04 instead of its own
     * GenEval default 0.07, so that the two differ only in GARDO's parts.
     */
    public static final List<String> ABLATIONS = List.of("gardo-std", "flow-grpo-full", "flow-grpo-shared", "gardo-b04");

    /**
     * @param name a method name
     * @return whether {@link #named} accepts it (a method or an ablation)
     */
    public static boolean isKnown(String name) {
        return NAMES.contains(name) || ABLATIONS.contains(name);
    }

    /** What differs from the papers' SD3.5-Medium defaults, for the summary. */
    public static final String DEVIATIONS = "10 sampling steps, shift 1, CFG 3 for the Flow-GRPO family; Flow-GRPO-Fast "
            + "window of 2 trained SDE steps (starting in steps 0-3); 6 training noise levels (shift 1) for DiffusionNFT and CRD; "
            + "no evaluation EMA (40 optimizer steps)";

    private static final int STEPS = 10;

    /**
     * @param method a method or ablation name
     * @return what differs from the papers' defaults in that run, for its summary and config
     */
    public static String deviations(String method) {
        switch (method) {
            case "flow-grpo-full":
                return "10 sampling steps, shift 1, CFG 3; SDE sampling on every step and 9 of the 10 steps trained (no "
                        + "Fast window); no evaluation EMA (40 optimizer steps)";
            case "flow-grpo-shared":
                return DEVIATIONS + "; a group's images share their initial noise and deterministic prefix (same_latent)";
            default:
                return DEVIATIONS;
        }
    }

    private ShapesMethods() {}

    /**
     * @param name one of {@link #NAMES}
     * @param embedder image features for GARDO's diversity shaping
     * @return the method
     * @throws IllegalArgumentException naming the accepted names
     */
    public static Method named(String name, ImageEmbedder embedder) {
        switch (name) {
            case "flow-grpo":
                return fast(FlowGrpo.defaults(grpo(0.0)));
            case "flow-grpo-full":
                return FlowGrpo.defaults(grpo(0.0));
            case "flow-grpo-shared":
                return fast(FlowGrpo.defaults(grpo(0.0)), SdeWindow.random(2, 0, 5).withSharedPrefix());
            case "flow-grpo-kl":
                return fast(FlowGrpo.defaults(grpo(0.04)));
            case "gardo":
                return fast(Gardo.onFlowGrpo(grpo(0.04), GardoConfig.forFlowGrpo().optEmbedder(embedder).build()));
            case "gardo-b04":
                return fast(Gardo.onFlowGrpo(grpo(0.04), GardoConfig.forFlowGrpo().optEmbedder(embedder).optKlBeta(0.04)
                        .build()));
            case "gardo-std":
                return fast(Gardo.onFlowGrpo(grpo(0.04), GardoConfig.forFlowGrpo().optEmbedder(embedder)
                        .optAdvantageBatchStd(true).build()));
            case "diffusion-nft":
                return DiffusionNft.defaults(DiffusionNft.Config.builder().optSteps(STEPS).optShift(1.0)
                        .optNoiseLevels(levels()).optEma(false).build());
            case "crd":
                return Crd.defaults(Crd.Config.builder().optSteps(STEPS).optShift(1.0).optNoiseLevels(levels()).optEma(false)
                        .build());
            default:
                throw new IllegalArgumentException("unknown method '" + name + "'; choose one of " + NAMES);
        }
    }

    private static FlowGrpo.Config grpo(double beta) {
        return FlowGrpo.Config.builder().optSteps(STEPS).optShift(1.0).optGuidanceScale(ShapesEvaluation.GUIDANCE)
                .optBeta(beta).optEma(false).build();
    }

    private static DiscreteNoiseLevels levels() {
        return new DiscreteNoiseLevels(6, 1.0, 1.0);
    }

    /**
     * Flow-GRPO-Fast: the method's schedule, guidance and SDE step (its noise level included), SDE
     * (and training) only in a window of 2 steps.
     */
    private static Method fast(Method m) {
        return fast(m, SdeWindow.random(2, 0, 5));
    }

    private static Method fast(Method m, SdeWindow window) {
        return m.withSampler(TrajectorySampler.builder().optSteps(m.sampler().schedule().steps())
                .optShift(m.sampler().schedule().shift()).optGuidanceScale(m.sampler().guidanceScale())
                .optStochasticStep(m.sampler().stochasticStep()).optWindow(window).build());
    }
}
