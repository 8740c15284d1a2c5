package io.diffrl4j.rewards.clip;

import java.io.IOException;
import java.nio.file.Path;

/**
 * CLIPScore ({@code clipscore}): the cosine similarity of the projected, L2-normalised CLIP image
 * and prompt embeddings, in [-1, 1]. Plain cosine as docs/REWARDS.md defines it: not multiplied by 100
 * or 2.5 and not clipped at 0 as some CLIPScore papers report it, nor divided by 30 as Flow-GRPO's
 * logit variant.
 *
 * <p>Loaded from a transformers {@code CLIPModel} folder (e.g. {@code openai/clip-vit-large-patch14}):
 * {@code config.json}, {@code model.safetensors} (or a sharded index), the tokenizer files
 * ({@code tokenizer.json}, or {@code vocab.json} + {@code merges.txt}, with
 * {@code special_tokens_map.json}) and optionally {@code preprocessor_config.json}. Prompts are
 * tokenized to 77 ids (truncated); images are preprocessed by {@link ClipImageProcessor}. FLOAT32
 * on DJL's default device. Thread-safe (one batch at a time); {@link #close()} frees the model.
 */
public final class ClipScoreReward extends ClipPairReward {
    /** The registry name. */
    public static final String NAME = "clipscore";

    private ClipScoreReward(Path folder) throws IOException {
        super(NAME, folder, model -> 1.0);
    }

    /**
     * @param folder the CLIPModel folder
     * @return the reward
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming a bad config field or mismatching tensors
     */
    public static ClipScoreReward open(Path folder) throws IOException {
        return new ClipScoreReward(folder);
    }
}
