package io.diffrl4j.core.reward;

import java.util.ArrayList;
import java.util.List;

/**
 * A reward computed from other rewards, its parts (for example Flow-GRPO's weighted sum of OCR and
 * PickScore). The trainer scores each part once, keeps the parts' scores in the {@link
 * RewardBatch} under their own names (so they are logged and an advantage estimator may read them,
 * see {@link RewardBatch#proxyParts()}), and then asks the composite to {@link #combine} them.
 * Implementations must be thread-safe and pure in {@link #combine}.
 */
public interface CompositeReward extends RewardFunction {
    /** @return the rewards this one is made of, at least one, distinct names */
    List<RewardFunction> parts();

    /**
     * @param partScores one array per part, in {@link #parts()} order, each with one finite score
     *     per image
     * @return the composite score per image
     */
    double[] combine(List<double[]> partScores);

    /** Scores every part, then combines: what a caller outside the trainer gets. */
    @Override
    default double[] score(ImageBatch images, List<Prompt> prompts) throws Exception {
        List<double[]> scores = new ArrayList<>();
        for (RewardFunction part : parts()) {
            scores.add(part.score(images, prompts));
        }
        return combine(scores);
    }
}
