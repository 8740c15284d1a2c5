package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.models.text.ClipModel;
import io.diffrl4j.models.text.ClipVisionModel;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * A CLIP vision tower with its preprocessing: images to L2-normalised image embeddings, a bounded
 * number of images at a time. Does not own the tower.
 */
final class ImageTower {
    /** Images per forward pass: bounds the attention matrices (ViT-H/14: 16 x 16 heads x 257^2 floats). */
    static final int CHUNK = 16;

    private final ClipVisionModel vision;
    private final ClipImageProcessor processor;

    /**
     * @throws IllegalArgumentException when the processor's crop is not the tower's input size
     */
    ImageTower(ClipVisionModel vision, ClipImageProcessor processor) {
        int side = vision.config().imageSize();
        int[] crop = processor.cropSize();
        if (crop != null && (crop[0] != side || crop[1] != side)) {
            throw new IllegalArgumentException("the preprocessor's crop_size " + crop[0] + "x" + crop[1]
                    + " is not the vision tower's image_size " + side);
        }
        this.vision = vision;
        this.processor = processor;
    }

    /**
     * Loads the vision tower of a CLIP folder ({@code CLIPModel} or {@code CLIPVisionModelWithProjection},
     * FLOAT32) and its {@code preprocessor_config.json} (the defaults when absent).
     *
     * @param folder the model folder
     * @param manager the tower's manager is created under it
     */
    static ImageTower open(Path folder, NDManager manager) throws IOException {
        ClipImageProcessor processor = ClipImageProcessor.fromFolder(folder);
        ClipVisionModel vision = ClipModel.loadVision(folder, manager, DataType.FLOAT32);
        try {
            return new ImageTower(vision, processor);
        } catch (RuntimeException e) {
            vision.close();
            throw e;
        }
    }

    /** @return the tower */
    ClipVisionModel vision() {
        return vision;
    }

    /**
     * @param images B images, values in [0, 1]
     * @param manager owns the result
     * @return (B, P) FLOAT32 unit-length image embeddings
     */
    NDArray unitEmbeddings(ImageBatch images, NDManager manager) {
        NDList parts = new NDList();
        for (int from = 0; from < images.count(); from += CHUNK) {
            ImageBatch chunk = images.slice(from, Math.min(images.count(), from + CHUNK));
            parts.add(vision.encode(processor.pixelValues(chunk, manager), manager).imageEmbeds());
        }
        return unit(parts.size() == 1 ? parts.singletonOrThrow() : NDArrays.concat(parts, 0));
    }

    /** @param x (B, P) @return each row divided by its L2 norm (a zero row stays zero), in x's manager */
    static NDArray unit(NDArray x) {
        return x.div(x.square().sum(new int[] {-1}, true).sqrt().maximum(Float.MIN_NORMAL));
    }

    /** @return the rows of a (B, P) FLOAT32 array */
    static float[][] rows(NDArray x) {
        int b = (int) x.getShape().get(0);
        int p = (int) x.getShape().get(1);
        float[] flat = x.toFloatArray();
        float[][] out = new float[b][];
        for (int i = 0; i < b; i++) {
            out[i] = Arrays.copyOfRange(flat, i * p, (i + 1) * p);
        }
        return out;
    }

    /** Fails unless there is one prompt per image. */
    static void checkCounts(ImageBatch images, int prompts) {
        if (images.count() != prompts) {
            throw new IllegalArgumentException(images.count() + " images but " + prompts + " prompts");
        }
    }
}
