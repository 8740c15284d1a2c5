package io.diffrl4j.examples.shapes.demo;

import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.examples.shapes.ShapesEvaluation;
import io.diffrl4j.methods.awm.Awm;
import io.diffrl4j.methods.awm.AwmObjective;
import io.diffrl4j.methods.awm.TimeWeighting;
import io.diffrl4j.methods.crd.CenteringScope;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.CrdObjective;
import io.diffrl4j.methods.crd.ImplicitRewardForm;
import io.diffrl4j.methods.crd.MatchingLoss;
import io.diffrl4j.methods.dancegrpo.DanceGrpo;
import io.diffrl4j.methods.dgpo.Dgpo;
import io.diffrl4j.methods.dgpo.DgpoObjective;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.grpoguard.GrpoGuard;
import io.diffrl4j.methods.mixgrpo.MixGrpo;
import io.diffrl4j.methods.tempflow.TempFlowGrpo;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.methods.nft.DiffusionNftObjective;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.SlidingSdeWindow;
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
    public static final List<String> NAMES = List.of("gardo", "flow-grpo", "flow-grpo-kl", "diffusion-nft", "crd",
            "grpo-guard", "mix-grpo", "dance-grpo", "awm", "dgpo", "tempflow-grpo");

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
            case "grpo-guard":
                return DEVIATIONS + "; GRPO-Guard at the demo's learning rate (its configs: 1e-4)";
            case "mix-grpo":
                return "10 sampling steps, shift 1, CFG 3; MixGRPO's sliding window scaled to 20 epochs: 2 SDE (and trained) "
                        + "steps moving by 1 every 5 epochs (the reference: 4 of 25 every 25), a group sharing its initial "
                        + "noise; no evaluation EMA (40 optimizer steps)";
            case "dance-grpo":
                return "10 sampling steps, shift 1, CFG 3 (the reference: 16 at shift 3, FLUX without CFG); DanceGRPO's "
                        + "constant-noise SDE (eta 0.3) on every step, 9 recorded and 5 trained per image (timestep_fraction 0.6), "
                        + "a group sharing its initial noise; no evaluation EMA (40 optimizer steps)";
            case "awm":
                return "10 ODE steps at shift 1 without guidance (the reference: 14 SA-Solver steps at shift 3), 6 training levels "
                        + "stratified over indices 1-9 of them; both KLs at the configs' strength (1e-3 to the pretrained model, 1 to "
                        + "the policy's EMA); one on-policy optimizer step per epoch of 2 (the demo's); no evaluation EMA (40 "
                        + "optimizer steps)";
            case "dgpo":
                return "10 DPM-Solver++ steps at shift 1, CFG 3 (the reference: shift 3, CFG 4.5); 4 levels among the 5 noisiest "
                        + "of them; one on-policy optimizer step per epoch of 2 (the demo's); no evaluation EMA (40 optimizer steps)";
            case "tempflow-grpo":
                return "10 sampling steps, shift 1, CFG 3; a group branching from a shared ODE prefix at one of steps 0-8 (drawn "
                        + "per sampling batch; the reference branches at all 9), that step trained with its noise-aware weight; "
                        + "no evaluation EMA (40 optimizer steps)";
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
                return fast(grpo(0.0));
            case "flow-grpo-full":
                return grpo(0.0);
            case "flow-grpo-shared":
                return fast(grpo(0.0), SdeWindow.random(2, 0, 5).withSharedPrefix());
            case "flow-grpo-kl":
                return fast(grpo(0.04));
            case "gardo":
                // GARDO's own GenEval beta 0.07 (Gardo.FLOW_GRPO_BETA) on this Flow-GRPO base.
                return fast(gardo(grpo(0.07), new DiversityAwareAdvantage(embedder)));
            case "gardo-b04":
                return fast(gardo(grpo(0.04), new DiversityAwareAdvantage(embedder)));
            case "gardo-std":
                return fast(gardo(grpo(0.07), new DiversityAwareAdvantage(embedder, DiversityAwareAdvantage.DEFAULT_CLIP, true)));
            case "grpo-guard":
                // GRPO-Guard's objective (RatioNorm, clip 2e-6, 1/|dt| weights) and group std, no KL, on this
                // Flow-GRPO-Fast base; the demo's learning rate, not the configs' 1e-4.
                return fast(GrpoGuard.method().withSampler(grpoSampler().build()).without(PolicyEma.STATE_KEY));
            case "mix-grpo":
                // MixGRPO's sliding window, scaled to this budget: 2 SDE steps moving by 1 every 5 epochs (the
                // reference: 4 of 25 every 25 epochs), a group sharing its initial noise; no KL, group std.
                return MixGrpo.method().withSampler(grpoSampler()
                        .optWindow(SdeWindow.sliding(SlidingSdeWindow.progressive(2, 5, 1, true)).withSharedPrefix()).build())
                        .without(PolicyEma.STATE_KEY);
            case "dance-grpo":
                // DanceGRPO's step, noise sharing, step share and advantages on the demo's 10 steps at shift 1, CFG 3.
                return DanceGrpo.method().withSampler(DanceGrpo.sampler().optSteps(STEPS).optShift(1.0)
                        .optGuidanceScale(ShapesEvaluation.GUIDANCE).build());
            case "awm":
                // AWM's objective, KLs and EMA anchor on the demo's 10 ODE steps at shift 1, without guidance.
                return Awm.method().withSampler(Awm.sampler().optSteps(STEPS).optShift(1.0).build())
                        .withObjective(new AwmObjective(Awm.noiseLevels(STEPS, 1.0, 1), TimeWeighting.ghuber(Awm.GHUBER_POWER)))
                        .without(PolicyEma.STATE_KEY);
            case "dgpo":
                // DGPO's group preference loss, KL and old EMA on the demo's 10 DPM-Solver++ steps at shift 1, CFG 3.
                return Dgpo.method().withSampler(Dgpo.sampler().optShift(1.0).optGuidanceScale(ShapesEvaluation.GUIDANCE).build())
                        .withObjective(new DgpoObjective(Dgpo.BETA_DPO, Dgpo.CLIP_RANGE, Dgpo.noiseLevels(STEPS, 1.0, 4), Dgpo.OLD_SET))
                        .without(PolicyEma.STATE_KEY);
            case "tempflow-grpo":
                // TempFlow-GRPO's branching and noise-aware weight, KL 0.004, group std, on the demo's rollouts.
                return TempFlowGrpo.method().withSampler(grpoSampler().optWindow(SdeWindow.random(1, 0, 9).withSharedPrefix()).build())
                        .without(PolicyEma.STATE_KEY);
            case "diffusion-nft":
                return DiffusionNft.method()
                        .withSampler(DiffusionNft.sampler().optSteps(STEPS).optShift(1.0).build())
                        .withObjective(new DiffusionNftObjective(DiffusionNftObjective.DEFAULT_BETA, levels(), AdapterRoles.OLD))
                        .without(PolicyEma.STATE_KEY);
            case "crd":
                return Crd.method()
                        .withSampler(Crd.sampler().optSteps(STEPS).optShift(1.0).build())
                        .withObjective(new CrdObjective(CrdObjective.DEFAULT_BETA, ImplicitRewardForm.ADAPTIVE,
                                CenteringScope.PROMPT, MatchingLoss.MSE, levels(), AdapterRoles.OLD))
                        .without(PolicyEma.STATE_KEY);
            default:
                throw new IllegalArgumentException("unknown method '" + name + "'; choose one of " + NAMES);
        }
    }

    /**
     * @param beta the KL coefficient (0: no KL)
     * @return Flow-GRPO at 10 steps, shift 1, the evaluation guidance, without the evaluation EMA
     */
    private static Method grpo(double beta) {
        return FlowGrpo.method(grpoSampler().build(), beta).without(PolicyEma.STATE_KEY);
    }

    /** @return Flow-GRPO's sampler at 10 steps, shift 1, the evaluation guidance */
    private static TrajectorySampler.Builder grpoSampler() {
        return FlowGrpo.sampler().optSteps(STEPS).optShift(1.0).optGuidanceScale(ShapesEvaluation.GUIDANCE);
    }

    /** GARDO's paper gate and Flow-GRPO adaptive reference on {@code base}, keeping its beta, with these advantages. */
    private static Method gardo(Method base, DiversityAwareAdvantage advantages) {
        return Gardo.on(base, GatedKl.builder(), AdaptiveReference.flowGrpo()).withAdvantages(advantages);
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
