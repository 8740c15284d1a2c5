package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import io.diffrl4j.models.nn.ModuleBlock;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Latents (B, C, H, W) to image tokens (B, (H/p)(W/p), D): a p x p convolution with stride p
 * ({@code proj}) plus the cropped 2D sin-cos positional embedding. The embedding table for each
 * image size is computed once and cached in the model's manager.
 */
public final class PatchEmbedding extends ModuleBlock {
    private final MmditConfig config;
    private final Parameter weight;
    private final Parameter bias;
    private final Map<Long, NDArray> positions = new ConcurrentHashMap<>();

    PatchEmbedding(MmditConfig config) {
        this.config = config;
        this.weight = parameter("proj.weight");
        this.bias = parameter("proj.bias");
    }

    /** @param latents (B, C, H, W) with H and W multiples of the patch size @return (B, N, D) */
    public NDArray forward(NDArray latents) {
        int p = config.patchSize();
        Shape s = latents.getShape();
        if (s.dimension() != 4 || s.get(1) != config.inChannels() || s.get(2) % p != 0 || s.get(3) % p != 0) {
            throw new IllegalArgumentException("latents must be (B, " + config.inChannels() + ", H, W) with H, W multiples of "
                    + p + ", got " + s);
        }
        NDArray w = value(weight);
        NDArray tokens = Conv2d.conv2d(latents, w, value(bias), new Shape(p, p), new Shape(0, 0), new Shape(1, 1), 1)
                .singletonOrThrow();
        int h = Math.toIntExact(s.get(2) / p);
        int wd = Math.toIntExact(s.get(3) / p);
        tokens = tokens.reshape(s.get(0), config.innerDim(), (long) h * wd).transpose(0, 2, 1);
        return tokens.add(table(w.getManager(), h, wd).toType(tokens.getDataType(), false));
    }

    private NDArray table(NDManager owner, int h, int w) {
        return positions.computeIfAbsent(((long) h << 32) | w, key -> {
            int grid = config.posEmbedMaxSize() > 0 ? config.posEmbedMaxSize() : config.sampleSize() / config.patchSize();
            float[] values = SinCosPositionalEmbedding.cropped(
                    config.innerDim(), grid, config.sampleSize() / config.patchSize(), h, w);
            return owner.create(values, new Shape(1, (long) h * w, config.innerDim()));
        });
    }
}
