package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;

/**
 * What a CLIP vision tower with projection returns for B images, all FLOAT32 on the model's device
 * and owned by the manager passed to {@link ClipVisionModel#encode}; {@link #close()} frees them
 * early.
 *
 * @param lastHiddenState (B, 1 + N, D): the last encoder layer's output (class token first, then
 *     the N patches), without the post layer norm, as transformers returns it
 * @param pooledOutput (B, D): the class token after {@code post_layernorm}
 * @param imageEmbeds (B, P): {@code pooledOutput} projected by {@code visual_projection}, not
 *     normalised ({@code CLIPModel.get_image_features})
 */
public record ClipVisionOutput(NDArray lastHiddenState, NDArray pooledOutput, NDArray imageEmbeds)
        implements AutoCloseable {

    /** Frees the three arrays. */
    @Override
    public void close() {
        lastHiddenState.close();
        pooledOutput.close();
        imageEmbeds.close();
    }
}
