package io.diffrl4j.models.sd3;

import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.text.ClipTextConfig;
import io.diffrl4j.models.text.T5Config;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;

/**
 * Where each encoder's output goes in SD3's prompt embedding, as diffusers'
 * {@code StableDiffusion3Pipeline.encode_prompt} assembles it: the CLIP-L and CLIP-G penultimate
 * states side by side ({@code clipTokens} rows, {@code clipLWidth + clipGWidth} columns) zero-padded
 * to {@code width}, then the T5 states ({@code t5Tokens} rows) below them; the pooled vector is
 * CLIP-L's projection followed by CLIP-G's. For SD3.5-Medium: 77 + 256 = 333 rows of 4096, pooled
 * 768 + 1280 = 2048. Without T5 (a pipeline saved with {@code text_encoder_3 = None}) its rows are
 * zeros of the transformer's {@code joint_attention_dim}, as in diffusers.
 *
 * @param clipTokens tokens per CLIP prompt (77)
 * @param clipLWidth CLIP-L's hidden size (768)
 * @param clipGWidth CLIP-G's hidden size (1280)
 * @param t5Tokens T5's {@code max_sequence_length} (256)
 * @param width the embedding width: T5's {@code d_model}, which the transformer's
 *     {@code joint_attention_dim} must equal (4096)
 * @param pooledLWidth CLIP-L's projection dim (768)
 * @param pooledGWidth CLIP-G's projection dim (1280)
 * @param hasT5 whether T5 runs; otherwise its rows are zeros
 */
public record PromptLayout(int clipTokens, int clipLWidth, int clipGWidth, int t5Tokens, int width, int pooledLWidth,
        int pooledGWidth, boolean hasT5) {

    /** Validates that the CLIP states fit the width. */
    public PromptLayout {
        if (clipTokens < 1 || clipLWidth < 1 || clipGWidth < 1 || t5Tokens < 1 || pooledLWidth < 1 || pooledGWidth < 1) {
            throw new IllegalArgumentException("every size of a prompt layout must be positive: " + this);
        }
        if (clipLWidth + clipGWidth > width) {
            throw new IllegalArgumentException("CLIP-L (" + clipLWidth + ") and CLIP-G (" + clipGWidth
                    + ") hidden sizes together exceed the embedding width " + width + " they are padded to");
        }
    }

    /**
     * @param clipL CLIP-L's config
     * @param clipG CLIP-G's config
     * @param t5 T5's config, or null when the pipeline has no T5
     * @param maxSequenceLength T5's token count (256 in diffusers' pipeline)
     * @param transformer the transformer the embeddings feed
     * @return the layout
     * @throws IllegalArgumentException when the encoders do not fit the transformer: T5's width
     *     against {@code joint_attention_dim}, the pooled width against {@code pooled_projection_dim}
     */
    public static PromptLayout of(ClipTextConfig clipL, ClipTextConfig clipG, T5Config t5, int maxSequenceLength,
            MmditConfig transformer) {
        int width = t5 == null ? transformer.jointAttentionDim() : t5.dModel();
        if (width != transformer.jointAttentionDim()) {
            throw new IllegalArgumentException("T5's d_model " + width + " must equal the transformer's joint_attention_dim "
                    + transformer.jointAttentionDim());
        }
        int pooled = clipL.projectionDim() + clipG.projectionDim();
        if (pooled != transformer.pooledProjectionDim()) {
            throw new IllegalArgumentException("CLIP-L and CLIP-G projection dims " + clipL.projectionDim() + " + "
                    + clipG.projectionDim() + " = " + pooled + " must equal the transformer's pooled_projection_dim "
                    + transformer.pooledProjectionDim());
        }
        return new PromptLayout(ClipTokenizer.MAX_LENGTH, clipL.hiddenSize(), clipG.hiddenSize(), maxSequenceLength,
                width, clipL.projectionDim(), clipG.projectionDim(), t5 != null);
    }

    /** @return rows of the prompt embedding: {@code clipTokens + t5Tokens} (333) */
    public int sequenceLength() {
        return clipTokens + t5Tokens;
    }

    /** @return width of the pooled vector (2048) */
    public int pooledWidth() {
        return pooledLWidth + pooledGWidth;
    }
}
