package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code Decoder}: {@code conv_in} (latent to the widest level), {@code mid_block},
 * {@code up_blocks} from the widest level down (each with {@code layers_per_block + 1} resnets and,
 * except the last, a 2x upsampling), {@code conv_norm_out}, SiLU, {@code conv_out}.
 */
final class Decoder extends VaeModule {
    private final Conv convIn;
    private final MidBlock midBlock;
    private final List<UpDecoderBlock> upBlocks = new ArrayList<>();
    private final GroupNorm convNormOut;
    private final Conv convOut;

    Decoder(VaeConfig c) {
        List<Integer> widths = c.blockOutChannels();
        int levels = widths.size();
        int groups = c.normNumGroups();
        int widest = widths.get(levels - 1);
        convIn = module("conv_in", Conv.same3x3(c.latentChannels(), widest));
        midBlock = module("mid_block", new MidBlock(groups, widest, c.midBlockAddAttention()));
        int out = widest;
        for (int i = 0; i < levels; i++) {
            int in = out;
            out = widths.get(levels - 1 - i);
            upBlocks.add(module("up_blocks." + i,
                    new UpDecoderBlock(groups, in, out, c.layersPerBlock() + 1, i < levels - 1)));
        }
        convNormOut = module("conv_norm_out", new GroupNorm(groups, widths.get(0)));
        convOut = module("conv_out", Conv.same3x3(widths.get(0), c.outChannels()));
    }

    void setBackend(AttentionBackend backend) {
        midBlock.setBackend(backend);
    }

    /** @param z (B, latent, h, w) @return (B, out, h f, w f), f the downscale factor */
    NDArray forward(NDArray z) {
        NDArray h = midBlock.forward(convIn.forward(z));
        for (UpDecoderBlock up : upBlocks) {
            h = up.forward(h);
        }
        return convOut.forward(Activations.silu(convNormOut.forward(h)));
    }
}
