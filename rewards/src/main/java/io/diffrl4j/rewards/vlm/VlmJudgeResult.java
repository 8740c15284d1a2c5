package io.diffrl4j.rewards.vlm;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;

/**
 * What a {@link VlmJudgeReward} made of one batch: the normalised score, the judge's raw answer of
 * every image (input order), and which answers held no score and were scored 0. Immutable: arrays
 * are copied in and out.
 */
public final class VlmJudgeResult {
    private final double[] scores;
    private final List<String> answers;
    private final int[] unparseable;

    /**
     * @param scores the normalised score of each image
     * @param answers the judge's answer text of each image (null where the server sent no text)
     * @param unparseable indices of the images whose answer had no score (ascending)
     */
    public VlmJudgeResult(double[] scores, List<String> answers, int[] unparseable) {
        if (answers.size() != scores.length) {
            throw new IllegalArgumentException(answers.size() + " answers for " + scores.length + " scores");
        }
        this.scores = scores.clone();
        // List.copyOf refuses nulls, and a missing answer text is a legitimate (unparseable) outcome.
        this.answers = Collections.unmodifiableList(new ArrayList<>(answers));
        this.unparseable = unparseable.clone();
    }

    /** @return a copy of the normalised scores, input order; 0 where the answer had no score */
    public double[] scores() {
        return scores.clone();
    }

    /** @return the raw answers, input order (unmodifiable; an element is null where the server sent no text) */
    public List<String> answers() {
        return answers;
    }

    /** @return a copy of the indices of the images whose answer held no score, ascending */
    public int[] unparseable() {
        return unparseable.clone();
    }

    /** @return how many answers held no score */
    public int unparseableCount() {
        return unparseable.length;
    }

    /** @return the number of images */
    public int size() {
        return scores.length;
    }

    @Override
    public String toString() {
        return "VlmJudgeResult{n=" + scores.length + ", unparseable=" + unparseable.length + "}";
    }
}
