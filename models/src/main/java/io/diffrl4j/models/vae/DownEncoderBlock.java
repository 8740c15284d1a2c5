package io.diffrl4j.models.vae;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.List;

/**
 * diffusers' {@code DownEncoderBlock2D}: {@code resnets} (the first one changes the width), then,
 * except in the last block, {@code Downsample2D} with padding 0: the map is zero-padded by one
 * pixel on the right and at the bottom only, then a 3x3 convolution with stride 2
 * ({@code downsamplers.0.conv}) halves it.
 */
final class DownEncoderBlock extends VaeModule {
    /** F.pad order, last axis first: (W left, W right, H top, H bottom). */
    private static final Shape PAD_RIGHT_BOTTOM = new Shape(0, 1, 0, 1);

    private final List<ResnetBlock2D> resnets = new ArrayList<>();
    private final Conv downsampleConv;

    DownEncoderBlock(int groups, int in, int out, int layers, boolean downsample) {
        for (int i = 0; i < layers; i++) {
            resnets.add(module("resnets." + i, new ResnetBlock2D(groups, i == 0 ? in : out, out)));
        }
        downsampleConv = downsample ? module("downsamplers.0.conv", new Conv(out, out, 3, 2, 0)) : null;
    }

    /** @param x (B, in, H, W) @return (B, out, floor(H/2), floor(W/2)), or (B, out, H, W) without downsampling */
    NDArray forward(NDArray x) {
        NDArray h = x;
        for (ResnetBlock2D r : resnets) {
            h = r.forward(h);
        }
        return downsampleConv == null ? h : downsampleConv.forward(padRightBottom(h));
    }

    /** @param x (B, C, H, W) @return (B, C, H + 1, W + 1), the new row and column zero */
    static NDArray padRightBottom(NDArray x) {
        return x.pad(PAD_RIGHT_BOTTOM, 0);
    }
}
