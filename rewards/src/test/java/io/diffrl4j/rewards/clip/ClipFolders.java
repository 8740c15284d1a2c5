package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.models.text.ClipModel;
import io.diffrl4j.models.text.TinyClip;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;

/**
 * Tiny CLIPModel folders as the scorers read them: core's {@link TinyClip} weights and config, a
 * preprocessor for its 8 x 8 inputs, and a small BPE tokenizer (18 tokens, end of text last).
 */
public final class ClipFolders {
    /** Single letters, the same ending a word, two merged words each, then start and end of text. */
    static final List<String> VOCAB = List.of("a", "c", "d", "g", "o", "t", "a</w>", "c</w>", "d</w>", "g</w>",
            "o</w>", "t</w>", "ca", "cat</w>", "do", "dog</w>", "<|startoftext|>", "<|endoftext|>");
    static final List<String> MERGES = List.of("c a", "ca t</w>", "d o", "do g</w>");

    private ClipFolders() {}

    /** Writes a CLIPModel folder with these weights; returns it. */
    static Path clip(Path dir, Map<String, NDArray> weights) throws IOException {
        TinyClip.writeClipModel(dir, weights);
        Files.writeString(dir.resolve("preprocessor_config.json"),
                "{\"crop_size\": {\"height\": 8, \"width\": 8}, \"size\": {\"shortest_edge\": 8}, \"resample\": 3}");
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < VOCAB.size(); i++) {
            vocab.append(i == 0 ? "" : ", ").append('"').append(VOCAB.get(i)).append("\": ").append(i);
        }
        Files.writeString(dir.resolve("vocab.json"), vocab.append('}'));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
        return dir;
    }

    /** A CLIPModel folder with seeded random weights. */
    public static Path clip(Path dir, NDManager m, long seed) throws IOException {
        return clip(dir, TinyClip.clipWeights(m, seed));
    }

    /**
     * An aesthetic folder: {@code clip/} as {@link #clip(Path, NDManager, long)} and a hand-made head
     * taking {@code inputWidth} features: identities through 1024, 128, 64 and 16 units, a bias of
     * 0.25 on the second layer's first unit, and a last layer weighting feature k by k + 1 plus 0.5;
     * for an input e of 6 features the score is {@code 0.75 + sum_k (k + 1) e_k}.
     */
    public static Path aesthetic(Path dir, NDManager m, long seed, int inputWidth) throws IOException {
        clip(dir.resolve(AestheticReward.CLIP_FOLDER), m, seed);
        Map<String, NDArray> head = new LinkedHashMap<>();
        long[] widths = {inputWidth, 1024, 128, 64, 16};
        String[] layers = {"layers.0", "layers.2", "layers.4", "layers.6"};
        for (int i = 0; i < layers.length; i++) {
            head.put(layers[i] + ".weight", eye(m, widths[i + 1], widths[i]));
            head.put(layers[i] + ".bias", m.zeros(new Shape(widths[i + 1])));
        }
        head.get("layers.2.bias").set(new NDIndex("0"), 0.25f);
        head.put("layers.7.weight", m.arange(1f, 17f).reshape(1, 16));
        head.put("layers.7.bias", m.create(new float[] {0.5f}));
        SafetensorsWriter.save(dir.resolve(AestheticReward.MLP_FILE), head, Map.of());
        return dir;
    }

    private static NDArray eye(NDManager m, long rows, long cols) {
        float[] v = new float[(int) (rows * cols)];
        for (int i = 0; i < Math.min(rows, cols); i++) {
            v[(int) (i * cols + i)] = 1;
        }
        return m.create(v, new Shape(rows, cols));
    }

    /**
     * The reference CLIPScore, from core's towers directly: cos(image_embeds, text_embeds) in doubles.
     */
    static double[] cosines(Path folder, ImageBatch images, List<String> prompts) throws IOException {
        try (NDManager m = NDManager.newBaseManager();
                ClipModel clip = ClipModel.load(folder, m, DataType.FLOAT32);
                ClipTokenizer tokenizer = ClipTokenizer.load(folder)) {
            float[][] image = ImageTower.rows(clip.vision().encode(
                    ClipImageProcessor.fromFolder(folder).pixelValues(images, m), m).imageEmbeds());
            float[][] text = ImageTower.rows(clip.text().encode(m.create(tokenizer.encode(prompts)), m).textEmbeds());
            double[] out = new double[images.count()];
            for (int i = 0; i < out.length; i++) {
                out[i] = dot(image[i], text[i]) / Math.sqrt(dot(image[i], image[i]) * dot(text[i], text[i]));
            }
            return out;
        }
    }

    static double dot(float[] a, float[] b) {
        double s = 0;
        for (int i = 0; i < a.length; i++) {
            s += (double) a[i] * b[i];
        }
        return s;
    }

    /** @return {@code count} seeded random RGB images of 12 x 10 pixels in [0, 1] */
    public static ImageBatch images(int count, long seed) {
        Random r = new Random(seed);
        float[] v = new float[count * 3 * 12 * 10];
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextFloat();
        }
        return new ImageBatch(v, count, 3, 12, 10);
    }
}
