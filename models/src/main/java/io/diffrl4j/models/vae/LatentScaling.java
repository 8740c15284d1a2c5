package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;

/**
 * The SD3 pipeline's mappings around the VAE: latent space to the decoder's input and back, and the
 * decoder's [-1, 1] output to images in [0, 1] and back. Results belong to the input's manager.
 */
final class LatentScaling {
    private LatentScaling() {}

    /** @return {@code latents / scaling_factor + shift_factor}, what the pipeline hands to {@code vae.decode} */
    static NDArray toDecoderInput(NDArray latents, VaeConfig c) {
        return latents.div(c.scalingFactor()).add(c.shiftFactor());
    }

    /** @return {@code (z - shift_factor) * scaling_factor}, the inverse of {@link #toDecoderInput} */
    static NDArray toLatents(NDArray z, VaeConfig c) {
        return z.sub(c.shiftFactor()).mul(c.scalingFactor());
    }

    /** @return {@code clamp(x / 2 + 0.5, 0, 1)}: the decoder's output as an image in [0, 1] */
    static NDArray toImage(NDArray x) {
        return x.div(2).add(0.5).clip(0, 1);
    }

    /** @return {@code 2 image - 1}: an image in [0, 1] as the encoder's [-1, 1] input */
    static NDArray fromImage(NDArray image) {
        return image.mul(2).sub(1);
    }
}
