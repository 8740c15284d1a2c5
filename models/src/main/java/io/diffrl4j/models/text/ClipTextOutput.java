package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;

/**
 * What a CLIP text model with projection returns for a batch of B token rows of length T, all
 * FLOAT32 on the model's device and owned by the manager passed to
 * {@link ClipTextModel#encode}; {@link #close()} frees them early.
 *
 * @param penultimate {@code hidden_states[-2]} (B, T, D): the output of the second-to-last layer,
 *     before the final layer norm; SD3's per-token prompt embedding
 * @param lastHiddenState (B, T, D): the last layer's output after the final layer norm
 * @param textEmbeds (B, P): {@code last_hidden_state} at the pooled (EOS) position, projected by
 *     {@code text_projection}; SD3's pooled prompt embedding
 */
public record ClipTextOutput(NDArray penultimate, NDArray lastHiddenState, NDArray textEmbeds)
        implements AutoCloseable {

    /** Frees the three arrays. */
    @Override
    public void close() {
        penultimate.close();
        lastHiddenState.close();
        textEmbeds.close();
    }
}
