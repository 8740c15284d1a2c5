package io.diffrl4j.rewards.clip;

import java.io.IOException;
import java.nio.file.Path;

/**
 * PickScore ({@code pickscore}) as Flow-GRPO computes it: {@code exp(logit_scale) * <img, txt> / 26}
 * with the L2-normalised, projected image and prompt embeddings of the PickScore_v1 CLIP-H model
 * ({@code yuvalkirstain/PickScore_v1}, whose learned {@code logit_scale} is read from the
 * checkpoint; 26 brings its typical values near 1).
 *
 * <p>Loaded from a transformers {@code CLIPModel} folder as {@link ClipScoreReward}; PickScore_v1
 * uses the processor and tokenizer of {@code laion/CLIP-ViT-H-14-laion2B-s32B-b79K}: copy their
 * {@code preprocessor_config.json} and tokenizer files into the folder when the model folder lacks
 * them (without a {@code preprocessor_config.json} OpenAI CLIP's settings apply, which are the
 * same). Thread-safe (one batch at a time); {@link #close()} frees the model.
 */
public final class PickScoreReward extends ClipPairReward {
    /** The registry name. */
    public static final String NAME = "pickscore";
    /** Flow-GRPO's divisor. */
    public static final double DIVISOR = 26;

    private PickScoreReward(Path folder) throws IOException {
        super(NAME, folder, model -> Math.exp(model.logitScale()) / DIVISOR);
    }

    /**
     * @param folder the CLIPModel folder
     * @return the reward
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming a bad config field or mismatching tensors
     */
    public static PickScoreReward open(Path folder) throws IOException {
        return new PickScoreReward(folder);
    }
}
