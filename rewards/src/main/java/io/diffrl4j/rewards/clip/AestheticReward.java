package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;

/**
 * The LAION improved aesthetic predictor ({@code aesthetic}), as DDPO and Flow-GRPO score it: the
 * CLIP ViT-L/14 image embedding ({@code get_image_features}), L2-normalised, through the MLP head
 * {@code in-1024-128-64-16-1} of {@code sac+logos+ava1-l14-linearMSE.pth}; roughly a 1-10 rating.
 * The prompt is not read.
 *
 * <p>Folder layout ({@link #open}):
 * <ul>
 *   <li>{@value #CLIP_FOLDER}{@code /}: a transformers CLIP folder ({@code openai/clip-vit-large-patch14}:
 *       {@code config.json}, {@code model.safetensors}, optionally {@code preprocessor_config.json});
 *       a {@code CLIPModel} (only its vision tower is loaded) or a {@code CLIPVisionModelWithProjection};</li>
 *   <li>{@value #MLP_FILE}: the head's state dict as safetensors, keys {@code layers.0.weight},
 *       {@code layers.0.bias}, {@code layers.2.*}, {@code layers.4.*}, {@code layers.6.*},
 *       {@code layers.7.*} (the public checkpoint is a {@code .pth}: convert it once with
 *       {@code safetensors.torch.save_file(torch.load(pth), "aesthetic_mlp.safetensors")}).</li>
 * </ul>
 * FLOAT32 on DJL's default device. Thread-safe (one batch at a time); {@link #close()} frees the model.
 */
public final class AestheticReward implements RewardFunction, Closeable {
    /** The registry name. */
    public static final String NAME = "aesthetic";
    /** The CLIP model's sub-folder. */
    public static final String CLIP_FOLDER = "clip";
    /** The MLP head's file. */
    public static final String MLP_FILE = "aesthetic_mlp.safetensors";

    private final NDManager manager;
    private final ImageTower images;
    private final AestheticMlp mlp;
    private final Object lock = new Object();

    private AestheticReward(NDManager manager, ImageTower images, AestheticMlp mlp) {
        this.manager = manager;
        this.images = images;
        this.mlp = mlp;
    }

    /**
     * @param folder the folder laid out as the class comment says
     * @return the reward
     * @throws IOException when a file cannot be read
     * @throws IllegalArgumentException naming mismatching tensors, or when the head's input width
     *     is not the CLIP model's projection_dim
     */
    public static AestheticReward open(Path folder) throws IOException {
        NDManager manager = NDManager.newBaseManager();
        try {
            ImageTower images = ImageTower.open(folder.resolve(CLIP_FOLDER), manager);
            AestheticMlp mlp;
            try (WeightSource w = WeightSources.open(folder.resolve(MLP_FILE))) {
                mlp = AestheticMlp.load(w, manager);
            }
            int projection = images.vision().config().projectionDim();
            if (mlp.inputWidth() != projection) {
                throw new IllegalArgumentException(folder.resolve(MLP_FILE) + " takes embeddings of "
                        + mlp.inputWidth() + ", the CLIP model's projection_dim is " + projection);
            }
            return new AestheticReward(manager, images, mlp);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public double[] score(ImageBatch batch, List<Prompt> prompts) {
        ImageTower.checkCounts(batch, prompts.size());
        if (batch.count() == 0) {
            return new double[0];
        }
        synchronized (lock) {
            try (NDManager call = manager.newSubManager()) {
                float[] s = mlp.forward(images.unitEmbeddings(batch, call)).toFloatArray();
                double[] out = new double[s.length];
                for (int i = 0; i < s.length; i++) {
                    out[i] = s[i];
                }
                return out;
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
