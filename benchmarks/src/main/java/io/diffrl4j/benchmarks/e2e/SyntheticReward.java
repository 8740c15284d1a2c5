package io.diffrl4j.benchmarks.e2e;

import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.util.List;

/**
 * A cheap deterministic image statistic as a reward, for the SD3.5-M-shaped loop, which has no
 * VAE or reward models: {@code brightness} (mean value), {@code contrast} (standard deviation) or
 * {@code warmth} (red minus blue). Thread-safe. It makes the loop run its scoring, advantage and
 * gate code on real numbers; its cost is not that of a real reward model.
 */
final class SyntheticReward implements RewardFunction {
    private final String kind;

    SyntheticReward(String kind) {
        if (!List.of("brightness", "contrast", "warmth").contains(kind)) {
            throw new IllegalArgumentException("unknown synthetic reward " + kind);
        }
        this.kind = kind;
    }

    @Override
    public String name() {
        return kind;
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        double[] out = new double[images.count()];
        for (int i = 0; i < out.length; i++) {
            float[] v = images.image(i);
            int plane = images.height() * images.width();
            double sum = 0;
            double sq = 0;
            for (float x : v) {
                sum += x;
                sq += x * x;
            }
            double mean = sum / v.length;
            switch (kind) {
                case "brightness" -> out[i] = mean;
                case "contrast" -> out[i] = Math.sqrt(Math.max(0, sq / v.length - mean * mean));
                default -> {
                    double red = 0;
                    double blue = 0;
                    for (int k = 0; k < plane; k++) {
                        red += v[k];
                        blue += v[2 * plane + k];
                    }
                    out[i] = (red - blue) / plane;
                }
            }
        }
        return out;
    }
}
