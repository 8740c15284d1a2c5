package io.diffrl4j.examples.shapes.demo;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.examples.shapes.rewards.ShapesRewardModel;
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
    REWARD_MODEL("reward-model", "learned reward model");

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
        return this == GENEVAL ? new ShapesChecker() : ShapesRewardModel.pretrained(owner);
    }

    /** @return the column of {@code metrics.csv} holding the proxy's per-epoch mean */
    public String metricKey() {
        return "reward/" + (this == GENEVAL ? "geneval" : ShapesRewardModel.NAME) + "/mean";
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
