package io.diffrl4j.rewards.image;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

/**
 * DDPO's JPEG compressibility: minus the size in kB (1000 bytes) of the image encoded as JPEG at
 * quality 95 with 4:2:0 chroma (PIL's default, which DDPO uses). Needs no weights, so the example commands run end to end with it; it is the classic
 * demonstration of reward hacking (the model learns flat, empty images). Sizes come from the JDK's
 * encoder, so they are close to, not equal to, DDPO's PIL numbers. Stateless and thread-safe.
 */
public final class JpegCompressibilityReward implements RewardFunction {
    /** DDPO's JPEG quality. */
    public static final int QUALITY = 95;

    @Override
    public String name() {
        return "jpeg";
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        if (prompts.size() != images.count()) {
            throw new IllegalArgumentException(images.count() + " images but " + prompts.size() + " prompts");
        }
        double[] out = new double[images.count()];
        for (int i = 0; i < out.length; i++) {
            out[i] = -JpegCodec.encode(images, i, QUALITY, true).length / 1000.0;
        }
        return out;
    }
}
