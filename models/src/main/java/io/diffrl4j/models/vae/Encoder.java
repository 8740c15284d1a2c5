package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code Encoder} with {@code double_z}: {@code conv_in}, {@code down_blocks} (each with
 * {@code layers_per_block} resnets and, except the last, a stride-2 downsampling),
 * {@code mid_block}, {@code conv_norm_out}, SiLU, {@code conv_out} to {@code 2 * latent_channels}
 * channels: the mean and the log-variance of the latent Gaussian, in that order.
 */
final class Encoder extends VaeModule {
    private final Conv convIn;
    private final List<DownEncoderBlock> downBlocks = new ArrayList<>();
    private final MidBlock midBlock;
    private final GroupNorm convNormOut;
    private final Conv convOut;

    Encoder(VaeConfig c) {
        List<Integer> widths = c.blockOutChannels();
        int levels = widths.size();
        int groups = c.normNumGroups();
        int widest = widths.get(levels - 1);
        convIn = module("conv_in", Conv.same3x3(c.inChannels(), widths.get(0)));
        int out = widths.get(0);
        for (int i = 0; i < levels; i++) {
            int in = out;
            out = widths.get(i);
            downBlocks.add(module("down_blocks." + i,
                    new DownEncoderBlock(groups, in, out, c.layersPerBlock(), i < levels - 1)));
        }
        midBlock = module("mid_block", new MidBlock(groups, widest, c.midBlockAddAttention()));
        convNormOut = module("conv_norm_out", new GroupNorm(groups, widest));
        convOut = module("conv_out", Conv.same3x3(widest, 2 * c.latentChannels()));
    }

    void setBackend(AttentionBackend backend) {
        midBlock.setBackend(backend);
    }

    /** @param x (B, in, H, W) @return the moments (B, 2 latent, H / f, W / f), f the downscale factor */
    NDArray forward(NDArray x) {
        NDArray h = convIn.forward(x);
        for (DownEncoderBlock down : downBlocks) {
            h = down.forward(h);
        }
        h = midBlock.forward(h);
        return convOut.forward(Activations.silu(convNormOut.forward(h)));
    }
}
