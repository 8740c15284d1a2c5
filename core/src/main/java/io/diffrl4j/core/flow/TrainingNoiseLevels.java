package io.diffrl4j.core.flow;

/**
 * Where on the noise axis a forward-process objective (DiffusionNFT, CRD) evaluates the model:
 * for each sample of a batch, a row of noise levels in (0, 1], one per training pass.
 */
public interface TrainingNoiseLevels {
    /** @return how many noise levels each sample gets per epoch (the row length) */
    int levelsPerSample();

    /**
     * @param batch number of samples
     * @param rng the seeded source of the draws
     * @return a {@code batch x levelsPerSample()} matrix of noise levels
     */
    double[][] draw(int batch, SeededNoise rng);

    /**
     * @return true when every image of a group trains at the same levels in the same order (the CRD
     *     port's one timestep per pass shared by the batch); false (default) for a fresh draw per image
     */
    default boolean sharedWithinGroup() {
        return false;
    }
}
