package io.diffrl4j.examples.readme;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

// The README quotes this class from its declaration on, as it stands.
public final class BrightnessReward implements RewardFunction {
    public String name() { return "brightness"; }
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        double[] out = new double[images.count()];
        for (int i = 0; i < out.length; i++) {
            float[] px = images.image(i);               // C x H x W, values in [0, 1]
            double s = 0;
            for (float v : px) s += v;
            out[i] = s / px.length;                     // one finite score per image
        }
        return out;
    }
}
