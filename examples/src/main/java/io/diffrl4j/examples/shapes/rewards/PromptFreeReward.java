package io.diffrl4j.examples.shapes.rewards;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

/**
 * A reward that judges each RGB image on its own, whatever its prompt (the auxiliary quality
 * signals of GARDO's gate): subclasses score one {@code 3 x height x width} image; this class checks
 * the batch and the prompt count and scores every image. Stateless subclasses are thread-safe.
 */
public abstract class PromptFreeReward implements RewardFunction {
    /** @return what the reward measures, for error messages (e.g. "palette fidelity") */
    protected abstract String description();

    /**
     * @param image {@code 3 x height x width} values
     * @param height rows
     * @param width columns
     * @return the image's score, in [0, 1]
     */
    public abstract double score(float[] image, int height, int width);

    /** @return one score in [0, 1] per image; the prompts are only counted */
    @Override
    public final double[] score(ImageBatch images, List<Prompt> prompts) {
        if (prompts.size() != images.count()) {
            throw new IllegalArgumentException(images.count() + " images but " + prompts.size() + " prompts");
        }
        return score(images);
    }

    /** @param images RGB images @return one score in [0, 1] per image */
    public final double[] score(ImageBatch images) {
        if (images.channels() != 3) {
            throw new IllegalArgumentException(description() + " needs RGB images, got " + images.channels() + " channels");
        }
        double[] out = new double[images.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = score(images.image(i), images.height(), images.width());
        }
        return out;
    }
}
