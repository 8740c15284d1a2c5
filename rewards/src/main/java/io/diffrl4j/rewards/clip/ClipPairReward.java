package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.models.text.ClipModel;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;
import java.io.Closeable;
import java.io.IOException;
import java.nio.file.Path;
import java.util.List;
import java.util.function.ToDoubleFunction;

/**
 * What CLIPScore and PickScore share: a CLIPModel folder (weights, tokenizer, preprocessor), and a
 * score per image that is a fixed multiple of the cosine similarity of its projected, L2-normalised
 * image and prompt embeddings. Owns its manager, model and tokenizer; one batch at a time.
 */
abstract class ClipPairReward implements RewardFunction, Closeable {
    private final String name;
    private final NDManager manager;
    private final ClipModel model;
    private final ClipTokenizer tokenizer;
    private final ImageTower images;
    private final double factor;
    private final Object lock = new Object();

    /**
     * @param name the reward's name
     * @param folder a CLIPModel folder with its tokenizer files and, optionally, preprocessor_config.json
     * @param factor the multiple of the cosine, from the loaded model
     */
    ClipPairReward(String name, Path folder, ToDoubleFunction<ClipModel> factor) throws IOException {
        this.name = name;
        manager = NDManager.newBaseManager();
        ClipModel m = null;
        ClipTokenizer t = null;
        try {
            m = ClipModel.load(folder, manager, DataType.FLOAT32);
            t = ClipTokenizer.load(folder);
            if (t.vocabularySize() > m.text().config().vocabSize()) {
                throw new IllegalArgumentException(folder + ": the tokenizer has " + t.vocabularySize()
                        + " tokens, the text tower's vocab_size is " + m.text().config().vocabSize());
            }
            images = new ImageTower(m.vision(), ClipImageProcessor.fromFolder(folder));
            model = m;
            tokenizer = t;
            this.factor = factor.applyAsDouble(m);
        } catch (IOException | RuntimeException e) {
            if (t != null) {
                t.close();
            }
            manager.close();
            throw e;
        }
    }

    @Override
    public String name() {
        return name;
    }

    /** @return the multiple of the cosine similarity each score is */
    public double factor() {
        return factor;
    }

    /** @return the loaded model */
    ClipModel model() {
        return model;
    }

    @Override
    public double[] score(ImageBatch batch, List<Prompt> prompts) {
        ImageTower.checkCounts(batch, prompts.size());
        double[] out = new double[batch.count()];
        if (out.length == 0) {
            return out;
        }
        synchronized (lock) {
            try (NDManager call = manager.newSubManager()) {
                NDArray image = images.unitEmbeddings(batch, call);
                NDArray ids = call.create(tokenizer.encode(prompts.stream().map(Prompt::text).toList()));
                NDArray text = ImageTower.unit(model.text().encode(ids, call).textEmbeds());
                float[] cosine = image.mul(text).sum(new int[] {1}).toFloatArray();
                for (int i = 0; i < out.length; i++) {
                    out[i] = factor * cosine[i];
                }
            }
        }
        return out;
    }

    /** Frees the model and the tokenizer. */
    @Override
    public void close() {
        synchronized (lock) {
            try {
                tokenizer.close();
            } finally {
                manager.close();
            }
        }
    }
}
