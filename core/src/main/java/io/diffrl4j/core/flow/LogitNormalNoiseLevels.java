package io.diffrl4j.core.flow;

/**
 * SD3's training distribution: {@code sigma = sigmoid(mean + std * z)}, {@code z ~ N(0, 1)},
 * {@code count} independent levels per sample. SD3 trains with mean 0, std 1.
 */
public final class LogitNormalNoiseLevels implements TrainingNoiseLevels {
    private final double mean;
    private final double std;
    private final int count;

    /**
     * @param mean location of the logit
     * @param std scale of the logit, positive
     * @param count levels per sample, at least 1
     */
    public LogitNormalNoiseLevels(double mean, double std, int count) {
        if (!(std > 0)) {
            throw new IllegalArgumentException("std must be > 0, got " + std);
        }
        this.mean = mean;
        this.std = std;
        this.count = UniformNoiseLevels.requireCount(count);
    }

    @Override
    public int levelsPerSample() {
        return count;
    }

    @Override
    public double[][] draw(int batch, SeededNoise rng) {
        return UniformNoiseLevels.independent(batch, count,
                () -> 1.0 / (1.0 + Math.exp(-(mean + std * rng.nextGaussian()))));
    }
}
