package com.example.consumer;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

/**
 * The README's example reward: the mean pixel value of each image. Stateless, so it is safe on the
 * trainer's scoring threads.
 */
public final class BrightnessReward implements RewardFunction {
    @Override
    public String name() {
        return "brightness";
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        double[] out = new double[images.count()];
        for (int i = 0; i < out.length; i++) {
            float[] pixels = images.image(i);
            double sum = 0;
            for (float v : pixels) {
                sum += v;
            }
            out[i] = sum / pixels.length;
        }
        return out;
    }
}
