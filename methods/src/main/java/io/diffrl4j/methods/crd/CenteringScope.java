package io.diffrl4j.methods.crd;

/**
 * Over which samples CRD subtracts the mean of the implicit and the external reward (docs/ALGORITHMS.md
 * 7.3). The intractable {@code beta log Z(c)} cancels only when every centred set holds images of
 * a single prompt.
 */
public enum CenteringScope {
    /**
     * The paper's form (default): the mean over the prompt's group of G images; when a micro-batch
     * holds only part of a group, the means come from a no-grad pass over the whole group
     * ({@code MicroBatch.groups()}).
     */
    PROMPT,
    /**
     * The author's port: the mean over the whole micro-batch (which holds whole groups in prompt
     * order). {@code log Z(c)} then cancels only up to its spread over the micro-batch's prompts.
     * A micro-batch that holds part of a group is centred over its own rows, like any other.
     */
    MICRO_BATCH
}
