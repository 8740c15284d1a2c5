package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.LatentDecoder;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.core.weights.WeightChecks;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Map;
import java.util.Set;
import java.util.function.UnaryOperator;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Stable Diffusion 3's VAE: diffusers' {@code AutoencoderKL} (encoder, decoder, optional
 * quant/post-quant 1x1 convolutions) with the SD3 pipeline's latent scaling. Shapes, with
 * {@code f = }{@link VaeConfig#downscaleFactor()} (8 for SD3.5) and {@code L} latent channels:
 * latents {@code (B, L, h, w)} and images {@code (B, 3, h f, w f)}.
 *
 * <ul>
 *   <li>{@link #decode} / {@link #latentsToImages}: pipeline latents to RGB images in [0, 1]
 *       ({@code clamp(decoder(latents / scaling + shift) / 2 + 0.5, 0, 1)}); this is the
 *       {@link LatentDecoder} the trainer uses.
 *   <li>{@link #imagesToLatents}: the inverse mapping, {@code (mean(encoder(2 image - 1)) - shift) * scaling}.
 *   <li>{@link #decodeRaw}, {@link #encode}, {@link #encodeMoments}: the bare networks, as
 *       diffusers' {@code vae.decode(z).sample} and {@code vae.encode(x).latent_dist}.
 * </ul>
 *
 * <p>Inference only: inputs are detached, the weights never require gradients, nothing is recorded
 * for a backward pass. Every returned array belongs to the input's manager and is in the input's
 * dtype (FLOAT32 or FLOAT16); each call runs in a sub-manager of it that is closed before it returns,
 * so no intermediate outlives the call. A batch is processed in slices of at most
 * {@link #maxBatch()} samples (whole by default), the results concatenated: same numbers, bounded
 * activation memory.
 *
 * <p>Owns one manager for its weights (created under the parent passed to {@link #load}, which
 * decides the device); {@link #close()} frees them.
 */
public final class AutoencoderKL implements LatentDecoder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(AutoencoderKL.class);

    private final VaeNetwork network;
    private final NDManager manager;
    private final DataType dtype;
    private volatile int maxBatch = Integer.MAX_VALUE;

    private AutoencoderKL(VaeNetwork network, NDManager manager, DataType dtype) {
        this.network = network;
        this.manager = manager;
        this.dtype = dtype;
        network.setBackend(AttentionBackend.auto());
    }

    /**
     * Loads a diffusers VAE folder: {@code config.json} plus its weights
     * ({@code diffusion_pytorch_model.safetensors} or any layout {@link WeightSources#open} reads).
     *
     * @param folder the {@code vae/} folder of a pipeline
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 for a half-precision VAE (bf16 checkpoints are converted on reading)
     * @return the model
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException when the config is invalid or the weights do not match it
     */
    public static AutoencoderKL load(Path folder, NDManager parent, DataType dtype) throws IOException {
        VaeConfig config = VaeConfig.fromJson(folder.resolve("config.json"));
        try (WeightSource weights = WeightSources.open(folder)) {
            return load(config, weights, parent, dtype);
        }
    }

    /**
     * Loads the weights by their diffusers names ({@code encoder.conv_in.weight},
     * {@code decoder.mid_block.attentions.0.to_q.weight}, ...). Names and stored shapes are
     * checked against the config before anything is read.
     *
     * @param config the architecture
     * @param weights a checkpoint in diffusers layout; read, not closed
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 for a half-precision VAE
     * @return the model
     * @throws IOException when a tensor cannot be read
     * @throws IllegalArgumentException listing the missing and unexpected tensors, or the shapes
     *     that differ from the config (found vs needed)
     */
    public static AutoencoderKL load(VaeConfig config, WeightSource weights, NDManager parent, DataType dtype)
            throws IOException {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("the VAE runs in FLOAT32 or FLOAT16, not " + dtype);
        }
        VaeNetwork network = new VaeNetwork(config);
        Map<String, Parameter> params = network.namedParameters();
        WeightChecks.checkNames("VAE", params.keySet(), weights.names(), Set.of());
        WeightChecks.checkShapes(network.namedShapes(), weights);
        NDManager manager = parent.newSubManager();
        try {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray a = weights.read(e.getKey(), manager, dtype);
                e.getValue().setArray(a);
                // setArray renames the array to the parameter's short name; keep the checkpoint key.
                a.setName(e.getKey());
            }
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
        AutoencoderKL vae = new AutoencoderKL(network, manager, dtype);
        LOG.debug("loaded VAE: {} parameters in {}, {} levels, {} latent channels", vae.parameterCount(), dtype,
                config.blockOutChannels().size(), config.latentChannels());
        return vae;
    }

    /** @return the architecture and the latent scaling */
    public VaeConfig config() {
        return network.config();
    }

    /** @return the precision of the weights and of the computation: FLOAT32 or FLOAT16 */
    public DataType dtype() {
        return dtype;
    }

    /** @return the largest number of samples one pass of the encoder or the decoder runs on */
    public int maxBatch() {
        return maxBatch;
    }

    /**
     * Bounds activation memory: larger batches are split into slices of at most {@code samples},
     * run one after the other and concatenated (diffusers' {@code enable_slicing} is 1).
     *
     * @param samples at least 1; {@link Integer#MAX_VALUE} (the default) runs every batch whole
     */
    public void setMaxBatch(int samples) {
        if (samples < 1) {
            throw new IllegalArgumentException("maxBatch must be >= 1, got " + samples);
        }
        this.maxBatch = samples;
    }

    /** @param backend the mid-block attention implementation from now on (default {@link AttentionBackend#auto()}) */
    public void setAttentionBackend(AttentionBackend backend) {
        network.setBackend(backend);
    }

    /** @return the number of weights */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : network.namedParameters().values()) {
            n += p.getArray().size();
        }
        return n;
    }

    /**
     * Pipeline latents to images, as {@link #latentsToImages}.
     *
     * @param latents (B, L, h, w) in the pipeline's latent space
     * @return RGB images (B, 3, h f, w f) in [0, 1], owned by the latents' manager
     */
    @Override
    public NDArray decode(NDArray latents) {
        return latentsToImages(latents);
    }

    /**
     * {@code clamp(decoder(latents / scaling_factor + shift_factor) / 2 + 0.5, 0, 1)}.
     *
     * @param latents (B, L, h, w) in the pipeline's latent space
     * @return images (B, out_channels, h f, w f) in [0, 1], owned by the latents' manager
     */
    public NDArray latentsToImages(NDArray latents) {
        VaeConfig c = config();
        return sliced(latents, c.latentChannels(), "latents",
                x -> LatentScaling.toImage(runDecoder(LatentScaling.toDecoderInput(x, c))));
    }

    /**
     * {@code (mean(encoder(2 images - 1)) - shift_factor) * scaling_factor}: the latents whose
     * decoding approximates the images.
     *
     * @param images (B, in_channels, H, W) in [0, 1], H and W multiples of the downscale factor
     * @return latents (B, L, H / f, W / f), owned by the images' manager
     */
    public NDArray imagesToLatents(NDArray images) {
        return imagesToLatents(images, null);
    }

    /**
     * As {@link #imagesToLatents(NDArray)} with the latent drawn from the encoder's Gaussian
     * instead of its mean.
     *
     * @param images (B, in_channels, H, W) in [0, 1]
     * @param noise the source of the standard normal draws (advanced by B L (H/f) (W/f) draws), or
     *     {@code null} for the mean
     * @return latents (B, L, H / f, W / f), owned by the images' manager
     */
    public NDArray imagesToLatents(NDArray images, SeededNoise noise) {
        VaeConfig c = config();
        return sliced(images, c.inChannels(), "images",
                x -> LatentScaling.toLatents(latent(runEncoder(LatentScaling.fromImage(x)), noise), c));
    }

    /**
     * The bare decoder, diffusers' {@code vae.decode(z).sample}: no scaling, shift or clamping.
     *
     * @param z (B, L, h, w) in the VAE's own latent space
     * @return (B, out_channels, h f, w f), roughly in [-1, 1], owned by z's manager
     */
    public NDArray decodeRaw(NDArray z) {
        return sliced(z, config().latentChannels(), "latents", this::runDecoder);
    }

    /**
     * The mean of the encoder's latent Gaussian, diffusers' {@code vae.encode(x).latent_dist.mean}.
     *
     * @param x images (B, in_channels, H, W) in [-1, 1]
     * @return (B, L, H / f, W / f) in the VAE's own latent space, owned by x's manager
     */
    public NDArray encode(NDArray x) {
        return encode(x, null);
    }

    /**
     * A draw from the encoder's latent Gaussian, {@code mean + exp(logvar / 2) noise} with the
     * log-variance clamped to [-30, 20] as diffusers' {@code DiagonalGaussianDistribution.sample}.
     *
     * @param x images (B, in_channels, H, W) in [-1, 1]
     * @param noise the standard normal draws (advanced by B L (H/f) (W/f) draws, in batch order
     *     whatever the slicing), or {@code null} for the mean
     * @return (B, L, H / f, W / f) in the VAE's own latent space, owned by x's manager
     */
    public NDArray encode(NDArray x, SeededNoise noise) {
        return sliced(x, config().inChannels(), "images", slice -> latent(runEncoder(slice), noise));
    }

    /**
     * The encoder's raw output, diffusers' {@code vae.encode(x).latent_dist.parameters}.
     *
     * @param x images (B, in_channels, H, W) in [-1, 1]
     * @return (B, 2 L, H / f, W / f): the mean (channels 0..L-1) then the unclamped log-variance,
     *     owned by x's manager
     */
    public NDArray encodeMoments(NDArray x) {
        return sliced(x, config().inChannels(), "images", this::runEncoder);
    }

    /** Frees the weights. */
    @Override
    public void close() {
        manager.close();
    }

    private NDArray runDecoder(NDArray z) {
        return network.decode(z.toType(dtype, false)).toType(z.getDataType(), false);
    }

    private NDArray runEncoder(NDArray x) {
        return network.moments(x.toType(dtype, false)).toType(x.getDataType(), false);
    }

    private NDArray latent(NDArray moments, SeededNoise noise) {
        long l = config().latentChannels();
        NDArray mean = moments.get(new NDIndex(":, :{}", l));
        if (noise == null) {
            // A copy, so that the caller's array does not keep the log-variance half alive.
            return mean.duplicate();
        }
        NDArray logvar = moments.get(new NDIndex(":, {}:", l)).clip(-30, 20);
        NDArray eps = noise.normal(moments.getManager(), mean.getShape()).toType(mean.getDataType(), false);
        return mean.add(logvar.mul(0.5).exp().mul(eps));
    }

    /**
     * Runs {@code body} on slices of at most {@link #maxBatch} samples of {@code input}, each in its
     * own sub-manager, and returns the concatenation in the input's manager.
     */
    private NDArray sliced(NDArray input, int channels, String what, UnaryOperator<NDArray> body) {
        Shape s = input.getShape();
        if (s.dimension() != 4 || s.get(1) != channels || s.get(0) < 1) {
            throw new IllegalArgumentException(what + " must be (B, " + channels + ", H, W) with B >= 1, got " + s);
        }
        DataType type = input.getDataType();
        if (type != DataType.FLOAT32 && type != DataType.FLOAT16) {
            throw new IllegalArgumentException(what + " must be FLOAT32 or FLOAT16, got " + type);
        }
        NDManager owner = input.getManager();
        long batch = s.get(0);
        long step = maxBatch;
        try (NDManager call = owner.newSubManager()) {
            // Detached: the VAE is inference only, so no op below is recorded for a backward pass
            // even inside a gradient collector.
            NDArray x = input.stopGradient();
            x.attach(call);
            NDList parts = new NDList();
            for (long start = 0; start < batch; start += step) {
                long end = Math.min(batch, start + step);
                try (NDManager slice = call.newSubManager()) {
                    NDArray chunk = start == 0 && end == batch ? x : x.get(new NDIndex("{}:{}", start, end));
                    chunk.attach(slice);
                    NDArray y = body.apply(chunk);
                    y.attach(call);
                    parts.add(y);
                }
            }
            NDArray out = parts.size() == 1 ? parts.get(0) : NDArrays.concat(parts, 0);
            out.attach(owner);
            return out;
        }
    }
}
