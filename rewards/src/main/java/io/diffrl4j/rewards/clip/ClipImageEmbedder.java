package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.ImageEmbedder;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;

/**
 * CLIP image embeddings as features: the projected image embedding ({@code get_image_features}),
 * L2-normalised, for GARDO's diversity shaping and the held-out diversity metrics (cosine
 * similarities are then plain dot products). Loaded from a transformers {@code CLIPModel} or
 * {@code CLIPVisionModelWithProjection} folder (only the vision tower), with its
 * {@code preprocessor_config.json} when present. FLOAT32 on DJL's default device. Thread-safe (one
 * batch at a time); {@link #close()} frees the model.
 */
public final class ClipImageEmbedder implements ImageEmbedder, Closeable {
    private final NDManager manager;
    private final ImageTower images;
    private final Object lock = new Object();

    private ClipImageEmbedder(NDManager manager, ImageTower images) {
        this.manager = manager;
        this.images = images;
    }

    /**
     * @param folder the CLIP folder
     * @return the embedder
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming a bad config field or mismatching tensors
     */
    public static ClipImageEmbedder open(Path folder) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            return new ClipImageEmbedder(manager, ImageTower.open(folder, manager));
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /** @return the length of every feature vector: the tower's projection_dim */
    public int dimension() {
        return images.vision().config().projectionDim();
    }

    @Override
    public float[][] embed(ImageBatch batch) {
        if (batch.count() == 0) {
            return new float[0][];
        }
        synchronized (lock) {
            try (NDManager call = manager.newSubManager()) {
                return ImageTower.rows(images.unitEmbeddings(batch, call));
            }
        }
    }

    /** Frees the model. */
    @Override
    public void close() {
        synchronized (lock) {
            manager.close();
        }
    }
}
