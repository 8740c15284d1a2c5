package io.diffrl4j.examples.shapes.demo;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.examples.shapes.rewards.PaletteFidelityReward;
import io.diffrl4j.examples.shapes.rewards.ShapeRegularityReward;
import io.diffrl4j.examples.shapes.rewards.ShapesRewardModel;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import io.diffrl4j.rewards.scale.UnitIntervalReward;
import java.io.IOException;
import java.util.Arrays;
import java.util.List;

/**
 * The two tasks of the Shapes world, named after the papers' experiments. In both the held-out
 * (gold) numbers are the checker's strict pass rate on evaluation prompts never trained on, the
 * within-prompt Vendi score and the Frechet distance to real data; they differ in the proxy reward
 * the policy is trained on.
 */
public enum ShapesTask {
    /** "GenEval-like": the proxy is the checker itself (a rule-based, verifiable reward). */
    GENEVAL("geneval", "checker score"),
    /**
     * "Reward-model over-optimisation": the proxy is the small learned {@link ShapesRewardModel},
     * the checker is held out as gold, so a rising proxy with a flat or falling gold is reward
     * hacking made visible.
     */
    REWARD_MODEL("reward-model", "learned reward model"),
    /**
     * "Reward hacking on the papers' scale": the proxy is DDPO's JPEG compressibility put on (0, 1)
     * by a fixed logistic map calibrated on the base model ({@link #COMPRESSIBILITY_CENTER},
     * {@link #COMPRESSIBILITY_SCALE}), so that it has the range and spread of GenEval, OCR or
     * preference scores that GARDO's and CRD's settings assume. Blank, flat images maximise it while
     * the held-out checker, diversity and realism fall: the classic hack, within minutes.
     */
    COMPRESSIBILITY("compressibility", "JPEG compressibility on [0, 1]");

    /**
     * The raw JPEG score (minus kB) that maps to 0.5: the base model's mean, between its training
     * rollouts (-1.032 kB over 64 SDE samples, seed 1) and its held-out ODE samples (-1.107 kB over
     * 99), so that the base model scores about 0.5.
     */
    public static final double COMPRESSIBILITY_CENTER = -1.07;

    /** Raw kB per logit: the base model's standard deviation of the raw score over those 64 samples (0.127). */
    public static final double COMPRESSIBILITY_SCALE = 0.13;

    /** The name of the compressibility task's proxy in metrics. */
    public static final String COMPRESSIBILITY_NAME = "compressibility";

    private final String cliName;
    private final String proxyLabel;

    ShapesTask(String cliName, String proxyLabel) {
        this.cliName = cliName;
        this.proxyLabel = proxyLabel;
    }

    /** @return the name on the command line */
    public String cliName() {
        return cliName;
    }

    /** @return what the proxy reward is, for figures and summaries */
    public String proxyLabel() {
        return proxyLabel;
    }

    /**
     * @param owner owns the reward's weights, if it has any (they are freed with it)
     * @return a fresh proxy reward of this task
     * @throws IOException when the shipped reward model cannot be read
     */
    public RewardFunction proxy(NDManager owner) throws IOException {
        return switch (this) {
            case GENEVAL -> new ShapesChecker();
            case REWARD_MODEL -> ShapesRewardModel.pretrained(owner);
            case COMPRESSIBILITY -> new UnitIntervalReward(new JpegCompressibilityReward(), COMPRESSIBILITY_NAME,
                    COMPRESSIBILITY_CENTER, COMPRESSIBILITY_SCALE);
        };
    }

    /**
     * The auxiliary rewards GARDO's gate compares the proxy with (every method logs them). On the
     * checker and reward-model tasks: palette fidelity and shape regularity. On the compressibility
     * task shape regularity alone: a blank image is perfectly faithful to the palette (about 1.0) and
     * would vouch for exactly the images the hack produces, while it has no regular shape (0), as
     * Aesthetic and ImageReward score degenerate images low in the GARDO paper.
     *
     * @return fresh auxiliary rewards
     */
    public List<RewardFunction> auxiliaries() {
        return this == COMPRESSIBILITY ? List.of(new ShapeRegularityReward())
                : List.of(new PaletteFidelityReward(), new ShapeRegularityReward());
    }

    /** @return the column of {@code metrics.csv} holding the proxy's per-epoch mean */
    public String metricKey() {
        String name = switch (this) {
            case GENEVAL -> "geneval";
            case REWARD_MODEL -> ShapesRewardModel.NAME;
            case COMPRESSIBILITY -> COMPRESSIBILITY_NAME;
        };
        return "reward/" + name + "/mean";
    }

    /** @return every task's command-line name */
    public static List<String> names() {
        return Arrays.stream(values()).map(ShapesTask::cliName).toList();
    }

    /**
     * @param name a command-line name
     * @return the task
     * @throws IllegalArgumentException naming the accepted names
     */
    public static ShapesTask named(String name) {
        for (ShapesTask t : values()) {
            if (t.cliName.equals(name)) {
                return t;
            }
        }
        throw new IllegalArgumentException("unknown task '" + name + "'; choose one of " + names());
    }
}
