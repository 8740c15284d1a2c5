package io.diffrl4j.core.objective;

import ai.djl.ndarray.NDArray;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.TrainingNoiseLevels;

/**
 * Where a forward-process objective (DiffusionNFT, CRD, AWM, DGPO) evaluates the model: a row of
 * noise levels per image, drawn once per micro-batch ({@link MicroBatch#rowLevels}, cached for the
 * latest micro-batch), and per pass the image's level {@code t}, fresh standard normal noise
 * {@code eps} (per image, or shared by a group) and {@code x_t = (1 - t) x0 + t eps}. Every draw comes
 * from the epoch's per-row (or per-group) stream under this object's labels, so it does not depend
 * on how the epoch is cut into micro-batches.
 *
 * <p>Holds the cache, so it is not thread-safe; objectives run on the training thread.
 */
public final class ForwardNoise {
    /**
     * One pass's inputs, in the manager that currently owns the micro-batch's samples.
     *
     * @param t the levels (b)
     * @param eps the noise (b, ...)
     * @param xt the noised samples (b, ...)
     */
    public record Draw(NDArray t, NDArray eps, NDArray xt) {}

    private final TrainingNoiseLevels levels;
    private final long levelStream;
    private final long noiseStream;
    private final boolean groupNoise;

    private MicroBatch cachedBatch;
    private double[][] cachedLevels;

    /**
     * @param levels where on the noise axis each image is trained, at least one level per image
     * @param levelStream the label of the level draw
     * @param noiseStream the label of pass 0's noise; pass {@code j} uses {@code noiseStream + j}
     * @param groupNoise whether the images of a group share their noise ({@link MicroBatch#groupNormal})
     */
    public ForwardNoise(TrainingNoiseLevels levels, long levelStream, long noiseStream, boolean groupNoise) {
        if (levels == null) {
            throw new IllegalArgumentException("noiseLevels must not be null");
        }
        if (levels.levelsPerSample() < 1) {
            throw new IllegalArgumentException("noiseLevels must give at least one level per sample, got "
                    + levels.levelsPerSample());
        }
        this.levels = levels;
        this.levelStream = levelStream;
        this.noiseStream = noiseStream;
        this.groupNoise = groupNoise;
    }

    /** @return the level strategy */
    public TrainingNoiseLevels levels() {
        return levels;
    }

    /** @return the passes a micro-batch takes: one per level */
    public int passes() {
        return levels.levelsPerSample();
    }

    /**
     * @param batch a micro-batch
     * @return its {@code b x passes()} levels, drawn once and cached for the most recent micro-batch
     */
    public double[][] levels(MicroBatch batch) {
        if (cachedBatch != batch) {
            cachedLevels = batch.rowLevels(levels, levelStream);
            cachedBatch = batch;
        }
        return cachedLevels;
    }

    /**
     * @param batch a micro-batch
     * @param pass the pass, in {@code [0, passes())}
     * @return pass {@code pass}'s standard normal noise of the samples' shape, in the samples' current manager
     */
    public NDArray noise(MicroBatch batch, int pass) {
        return groupNoise ? batch.groupNormal(batch.samples().getManager(), noiseStream + pass)
                : batch.rowNormal(batch.samples().getManager(), noiseStream + pass);
    }

    /**
     * @param batch a micro-batch
     * @param pass the pass, in {@code [0, passes())}
     * @return the pass's levels, noise and noised samples
     * @throws IndexOutOfBoundsException for a pass outside the levels
     */
    public Draw draw(MicroBatch batch, int pass) {
        if (pass < 0 || pass >= passes()) {
            throw new IndexOutOfBoundsException("pass " + pass + " of " + passes() + " noise levels");
        }
        NDArray t = batch.levelColumn(levels(batch), pass);
        NDArray eps = noise(batch, pass);
        return new Draw(t, eps, FlowMatching.interpolate(batch.samples(), eps, t));
    }
}
