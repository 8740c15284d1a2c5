package io.diffrl4j.core.model;

import ai.djl.ndarray.NDArray;

/**
 * A velocity field {@code v(x, sigma, c)} of a rectified flow (docs/ALGORITHMS.md section 1).
 *
 * <p>{@code x} has shape (B, ...) (latents (B, C, H, W) for image models), {@code sigma} is a
 * float32 array of shape (B) with noise levels in [0, 1] (1 = pure noise; transformers that
 * expect SD3's {@code timestep} scale it by 1000 themselves), and the conditioning has batch size
 * B. The result has the shape of {@code x} and belongs to {@code x}'s manager; the caller closes
 * it (normally by closing a per-step sub-manager).
 *
 * <p>Models with trainable adapters also implement {@link AdaptedFlowModel}. Implementations are
 * used from the training thread only unless they say otherwise.
 */
@FunctionalInterface
public interface FlowModel {
    /**
     * @param x the noisy input (B, ...)
     * @param sigma noise levels (B)
     * @param conditioning text conditioning of batch size B
     * @return the predicted velocity, same shape as {@code x}
     */
    NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning);
}
