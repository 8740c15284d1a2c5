package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code UpDecoderBlock2D}: {@code resnets} (the first one changes the width), then,
 * except in the last block, nearest-neighbour 2x upsampling and a 3x3 convolution
 * ({@code upsamplers.0.conv}).
 */
final class UpDecoderBlock extends VaeModule {
    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Conv upsampleConv;

    UpDecoderBlock(int groups, int in, int out, int layers, boolean upsample) {
        for (int i = 0; i < layers; i++) {
            resnets.add(module("resnets." + i, new ResnetBlock2D(groups, i == 0 ? in : out, out)));
        }
        upsampleConv = upsample ? module("upsamplers.0.conv", Conv.same3x3(out, out)) : null;
    }

    /** @param x (B, in, H, W) @return (B, out, 2H, 2W), or (B, out, H, W) without upsampling */
    NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            h = r.forward(h);
        }
        return upsampleConv == null ? h : upsampleConv.forward(nearest2x(h));
    }

    /**
     * {@code F.interpolate(x, scale_factor=2, mode="nearest")}: every pixel becomes a 2 x 2 block.
     * Built from a broadcast view so that it is exact in every dtype.
     *
     * @param x (B, C, H, W)
     * @return (B, C, 2H, 2W)
     */
    static NDArray nearest2x(NDArray x) {
        Shape s = x.getShape();
        long b = s.get(0);
        long c = s.get(1);
        long h = s.get(2);
        long w = s.get(3);
        return x.reshape(b, c, h, 1, w, 1).broadcast(b, c, h, 2, w, 2).reshape(b, c, 2 * h, 2 * w);
    }
}
