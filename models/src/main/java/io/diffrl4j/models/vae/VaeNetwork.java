package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.kernel.AttentionBackend;

/**
 * The module tree of diffusers' {@code AutoencoderKL} under its checkpoint names: {@code encoder},
 * {@code quant_conv} (optional), {@code post_quant_conv} (optional), {@code decoder}. Holds no
 * arrays of its own: {@link AutoencoderKL} loads them and owns their memory.
 */
final class VaeNetwork extends VaeModule {
    private final VaeConfig config;
    private final Encoder encoder;
    private final Decoder decoder;
    private final Conv quantConv;
    private final Conv postQuantConv;

    VaeNetwork(VaeConfig config) {
        this.config = config;
        int latent = config.latentChannels();
        encoder = module("encoder", new Encoder(config));
        decoder = module("decoder", new Decoder(config));
        quantConv = config.useQuantConv() ? module("quant_conv", Conv.pointwise(2 * latent, 2 * latent)) : null;
        postQuantConv = config.usePostQuantConv() ? module("post_quant_conv", Conv.pointwise(latent, latent)) : null;
    }

    VaeConfig config() {
        return config;
    }

    void setBackend(AttentionBackend backend) {
        encoder.setBackend(backend);
        decoder.setBackend(backend);
    }

    /** {@code AutoencoderKL._decode(z).sample}: (B, latent, h, w) to (B, out, h f, w f), unscaled, unclamped. */
    NDArray decode(NDArray z) {
        return decoder.forward(postQuantConv == null ? z : postQuantConv.forward(z));
    }

    /** The posterior's parameters, {@code quant_conv(encoder(x))}: (B, 2 latent, H / f, W / f), mean then log-variance. */
    NDArray moments(NDArray x) {
        NDArray h = encoder.forward(x);
        return quantConv == null ? h : quantConv.forward(h);
    }
}
