package io.diffrl4j.examples.shapes.rewards;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Activation;
import ai.djl.nn.convolutional.Conv2d;
import ai.djl.nn.core.Linear;
import ai.djl.nn.pooling.Pool;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.flow.ScalarMath;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.TensorDtype;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import io.diffrl4j.examples.shapes.ShapesRenderer;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small learned reward model of the Shapes world (name "reward_model"): a CNN that reads a
 * 32 x 32 RGB image and its prompt's GenEval metadata and predicts the checker's partial score
 * (clamped to [0, 1]). It is the proxy of the reward-model over-optimisation task, where the
 * checker itself is held out as the gold reward: the model is deliberately small and imperfect,
 * so RL can find images it overrates.
 *
 * <p>Architecture (21,705 weights), built to read the checker's quantities: a trunk of three
 * 3 x 3 convolutions (16, 32, 32 channels, ReLU, 2 x 2 max pooling after the first two) gives an
 * 8 x 8 feature map. For each include clause of the prompt (the fixed metadata encoding of tag,
 * class, count, colour and relation), the map is modulated per channel by the clause (FiLM:
 * {@code h (1 + W_s c) + W_b c}) and reduced by a 1 x 1 convolution to 8 non-negative "selected"
 * channels; each is summarised by its total (a soft count of matching objects) and its mean x and
 * y (where they are, for relations). Both clauses' summaries and the prompt encoding go through a
 * 64-unit ReLU layer to one logit; the score is its sigmoid, so always in (0, 1).
 *
 * <p>How good a proxy it is (measured, see {@link TrainShapesRewardModel}): on fresh pairs of its
 * training distribution ({@link ShapesRewardData}) MSE 0.061 and Pearson 0.81 against the checker;
 * on samples of the shipped Shapes model it is calibrated but only weakly correlated (0.2 to 0.3),
 * since generated images differ from any corruption it was trained on.
 *
 * <p>{@link #pretrained} loads the weights shipped under {@value #RESOURCE} (fp16 storage), made by
 * {@link TrainShapesRewardModel}. Scoring is thread-safe: pure forward passes in a fresh manager
 * per call, the weights only read. Training ({@link TrainShapesRewardModel}) mutates the weights
 * and must not overlap with scoring. {@link #close()} frees the weights.
 */
public final class ShapesRewardModel implements RewardFunction, AutoCloseable {
    /** The reward's name in metrics. */
    public static final String NAME = "reward_model";
    /** Where the shipped weights live on the classpath. */
    public static final String RESOURCE = "/io/diffrl4j/examples/shapes/reward-model/reward_model.safetensors";
    /** Written into the weights' metadata and checked when loading. */
    static final String ARCHITECTURE = "shapes-reward-cnn-v1";

    private static final Logger LOG = LoggerFactory.getLogger(ShapesRewardModel.class);
    private static final int S = ShapesRenderer.SIZE;
    private static final int C1 = 16;
    private static final int C2 = 32;
    private static final int C3 = 32;
    /** Prompt-selected feature channels per clause. */
    private static final int SELECT = 8;
    /** Per clause: soft amount, mean x and mean y of each selected channel. */
    private static final int SUMMARY = 3 * SELECT;
    private static final int HIDDEN = 64;
    /** The feature map's side after two 2 x 2 poolings. */
    private static final int GRID = S / 4;
    /** Images scored per forward pass: bounds the activations' memory for large batches. */
    private static final int CHUNK = 256;
    private static final Shape ONE = new Shape(1, 1);
    private static final Shape TWO = new Shape(2, 2);
    private static final Shape NO_PAD = new Shape(0, 0);

    private final NDManager manager;
    private final Map<String, NDArray> weights;

    private ShapesRewardModel(NDManager manager, Map<String, NDArray> weights) {
        this.manager = manager;
        this.weights = Collections.unmodifiableMap(weights);
    }

    /** @return every weight's name and shape, in file order (PyTorch layouts: conv (out, in, kh, kw), linear (out, in)) */
    static Map<String, Shape> shapes() {
        Map<String, Shape> s = new LinkedHashMap<>();
        s.put("conv1.weight", new Shape(C1, 3, 3, 3));
        s.put("conv1.bias", new Shape(C1));
        s.put("conv2.weight", new Shape(C2, C1, 3, 3));
        s.put("conv2.bias", new Shape(C2));
        s.put("conv3.weight", new Shape(C3, C2, 3, 3));
        s.put("conv3.bias", new Shape(C3));
        s.put("film_scale.weight", new Shape(C3, PromptFeatures.CLAUSE_INPUT));
        s.put("film_scale.bias", new Shape(C3));
        s.put("film_shift.weight", new Shape(C3, PromptFeatures.CLAUSE_INPUT));
        s.put("film_shift.bias", new Shape(C3));
        s.put("select.weight", new Shape(SELECT, C3, 1, 1));
        s.put("select.bias", new Shape(SELECT));
        s.put("fc1.weight", new Shape(HIDDEN, PromptFeatures.CLAUSES * SUMMARY + PromptFeatures.DIMENSION));
        s.put("fc1.bias", new Shape(HIDDEN));
        s.put("fc2.weight", new Shape(1, HIDDEN));
        s.put("fc2.bias", new Shape(1));
        return s;
    }

    /**
     * A randomly initialised model (the start of training): He-normal convolutions and hidden
     * layer, zero FiLM (the prompt starts by not modulating the image path), a small output layer
     * (scores start near 0.5), zero biases.
     *
     * @param parent owner of the model's manager
     * @param seed init seed
     * @return the model
     */
    public static ShapesRewardModel random(NDManager parent, long seed) {
        NDManager m = parent.newSubManager();
        SeededNoise rng = new SeededNoise(seed);
        Map<String, NDArray> w = new LinkedHashMap<>();
        for (Map.Entry<String, Shape> e : shapes().entrySet()) {
            String name = e.getKey();
            Shape shape = e.getValue();
            NDArray a;
            if (name.endsWith(".bias") || name.startsWith("film_")) {
                a = m.zeros(shape, DataType.FLOAT32);
            } else {
                long fanIn = shape.size() / shape.get(0);
                double std = name.startsWith("fc2") ? 0.01 : Math.sqrt(2.0 / fanIn);
                a = rng.fork(w.size()).normal(m, shape).muli((float) std);
            }
            a.setName(name);
            w.put(name, a);
        }
        return new ShapesRewardModel(m, w);
    }

    /**
     * @param file a file written by {@link #save}
     * @param parent owner of the model's manager
     * @return the model
     * @throws IOException when the file cannot be read or does not hold this architecture
     */
    public static ShapesRewardModel load(Path file, NDManager parent) throws IOException {
        NDManager m = parent.newSubManager();
        try (WeightSource source = WeightSources.open(file)) {
            String arch = source.metadata().get("architecture");
            if (arch != null && !ARCHITECTURE.equals(arch)) {
                throw new IOException(file + " holds a '" + arch + "' model, not " + ARCHITECTURE);
            }
            Map<String, NDArray> w = new LinkedHashMap<>();
            for (Map.Entry<String, Shape> e : shapes().entrySet()) {
                if (!source.contains(e.getKey())) {
                    throw new IOException(file + " has no tensor '" + e.getKey() + "'; is it a Shapes reward model?");
                }
                NDArray a = source.read(e.getKey(), m, DataType.FLOAT32);
                if (!a.getShape().equals(e.getValue())) {
                    throw new IOException(file + ": '" + e.getKey() + "' is " + a.getShape() + ", expected " + e.getValue());
                }
                a.setName(e.getKey());
                w.put(e.getKey(), a);
            }
            return new ShapesRewardModel(m, w);
        } catch (IOException | RuntimeException e) {
            m.close();
            throw e;
        }
    }

    /**
     * The reward model shipped with the library (copied from the classpath to a temporary file).
     *
     * @param parent owner of the model's manager
     * @return the model
     * @throws IOException when the resource is missing or unreadable
     */
    public static ShapesRewardModel pretrained(NDManager parent) throws IOException {
        Path tmp = Files.createTempFile("shapes-reward-model", ".safetensors");
        try {
            try (InputStream in = ShapesRewardModel.class.getResourceAsStream(RESOURCE)) {
                if (in == null) {
                    throw new IOException("the pretrained Shapes reward model is missing from the classpath: " + RESOURCE
                            + " (run TrainShapesRewardModel to make it)");
                }
                Files.copy(in, tmp, StandardCopyOption.REPLACE_EXISTING);
            }
            return load(tmp, parent);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }

    /**
     * Writes the weights as safetensors with fp16 storage (atomically).
     *
     * @param file the destination
     * @throws IOException when writing fails
     */
    public void save(Path file) throws IOException {
        // sorted metadata: Map.of iterates in a per-JVM order, which would make equal weights differ byte-wise
        new SafetensorsWriter(TensorDtype.F16).write(file, weights, new TreeMap<>(Map.of("format", "pt", "architecture", ARCHITECTURE)));
        LOG.debug("saved the Shapes reward model to {}", file);
    }

    /** @return the number of weights */
    public long parameterCount() {
        return weights.values().stream().mapToLong(a -> a.getShape().size()).sum();
    }

    @Override
    public String name() {
        return NAME;
    }

    /**
     * @param images 32 x 32 RGB images in [0, 1]
     * @param prompts one prompt per image, with Shapes GenEval metadata
     * @return the predicted partial score of each pair, in (0, 1)
     * @throws IllegalArgumentException when the counts differ, the images are not 3 x 32 x 32, or
     *     a prompt's metadata is missing or outside the Shapes world
     */
    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) {
        if (prompts.size() != images.count()) {
            throw new IllegalArgumentException(images.count() + " images but " + prompts.size() + " prompts");
        }
        if (images.channels() != 3 || images.height() != S || images.width() != S) {
            throw new IllegalArgumentException("the Shapes reward model reads 3 x " + S + " x " + S + " images, got "
                    + images.channels() + " x " + images.height() + " x " + images.width());
        }
        double[] out = new double[images.count()];
        for (int from = 0; from < out.length; from += CHUNK) {
            int to = Math.min(out.length, from + CHUNK);
            try (NDManager m = manager.newSubManager()) {
                NDArray x = images(m, images.slice(from, to));
                NDArray p = prompts(m, prompts.subList(from, to));
                float[] s = Activation.sigmoid(logits(x, p)).toFloatArray();
                for (int i = 0; i < s.length; i++) {
                    out[from + i] = s[i];
                }
            }
        }
        return out;
    }

    /**
     * The differentiable forward pass.
     *
     * @param images (B, 3, 32, 32) in [0, 1]
     * @param prompts (B, {@link PromptFeatures#DIMENSION}) from {@link #prompts}
     * @return (B) logits, in the images' manager
     */
    NDArray logits(NDArray images, NDArray prompts) {
        NDManager m = images.getManager();
        NDArray x = ScalarMath.mul(images, 2).sub(1);
        NDArray h = Pool.maxPool2d(Activation.relu(conv(x, "conv1", ONE)), TWO, TWO, NO_PAD, false);
        h = Pool.maxPool2d(Activation.relu(conv(h, "conv2", ONE)), TWO, TWO, NO_PAD, false);
        NDArray features = Activation.relu(conv(h, "conv3", ONE));
        // Owned copies: autograd keeps the coordinates of the weighted sums for the backward pass.
        NDArray xs = m.create(coordinates(false), new Shape(1, 1, GRID, GRID)).duplicate();
        NDArray ys = m.create(coordinates(true), new Shape(1, 1, GRID, GRID)).duplicate();
        NDList parts = new NDList();
        int[] space = {2, 3};
        for (int k = 0; k < PromptFeatures.CLAUSES; k++) {
            NDArray clause = clauseInput(prompts, k);
            long b = clause.getShape().get(0);
            NDArray scale = linear(clause, "film_scale").reshape(b, C3, 1, 1);
            NDArray shift = linear(clause, "film_shift").reshape(b, C3, 1, 1);
            NDArray sel = Activation.relu(conv(Activation.relu(features.mul(scale.add(1)).add(shift)), "select", NO_PAD));
            NDArray mass = sel.sum(space);
            NDArray denominator = mass.add(1);
            parts.add(ScalarMath.div(mass, 16));
            parts.add(sel.mul(xs).sum(space).div(denominator));
            parts.add(sel.mul(ys).sum(space).div(denominator));
        }
        parts.add(prompts);
        NDArray z = Activation.relu(linear(NDArrays.concat(parts, 1), "fc1"));
        return linear(z, "fc2").reshape(images.getShape().get(0));
    }

    /** @return the tag and clause k of the prompt encodings, (B, {@link PromptFeatures#CLAUSE_INPUT}); constant input, no gradient */
    private static NDArray clauseInput(NDArray prompts, int k) {
        int tags = PromptFeatures.TAGS;
        int from = tags + k * PromptFeatures.PER_CLAUSE;
        return NDArrays.concat(new NDList(prompts.get(":, 0:" + tags), prompts.get(":, " + from + ":" + (from + PromptFeatures.PER_CLAUSE))), 1);
    }

    /** @return the centres of the feature map's cells along x (or y), in [-1, 1], row-major GRID x GRID */
    private static float[] coordinates(boolean vertical) {
        float[] c = new float[GRID * GRID];
        for (int y = 0; y < GRID; y++) {
            for (int x = 0; x < GRID; x++) {
                c[y * GRID + x] = (float) (((vertical ? y : x) + 0.5) / GRID * 2 - 1);
            }
        }
        return c;
    }

    /**
     * @param trainable whether the weights take gradients
     * @return the weights, named (for the optimizer)
     */
    List<NDArray> setTrainable(boolean trainable) {
        List<NDArray> out = new ArrayList<>();
        for (NDArray a : weights.values()) {
            a.setRequiresGradient(trainable);
            out.add(a);
        }
        return out;
    }

    /** @return the images as (B, 3, 32, 32), an owned copy in {@code m} (autograd may keep it) */
    static NDArray images(NDManager m, ImageBatch images) {
        float[] data = new float[images.count() * 3 * S * S];
        for (int i = 0; i < images.count(); i++) {
            System.arraycopy(images.image(i), 0, data, i * 3 * S * S, 3 * S * S);
        }
        return m.create(data, new Shape(images.count(), 3, S, S)).duplicate();
    }

    /** @return the prompts' metadata encodings as (B, D), an owned copy in {@code m} */
    static NDArray prompts(NDManager m, List<Prompt> prompts) {
        int d = PromptFeatures.DIMENSION;
        float[] data = new float[prompts.size() * d];
        for (int i = 0; i < prompts.size(); i++) {
            System.arraycopy(PromptFeatures.encode(prompts.get(i)), 0, data, i * d, d);
        }
        return m.create(data, new Shape(prompts.size(), d)).duplicate();
    }

    private NDArray conv(NDArray x, String layer, Shape padding) {
        return Conv2d.conv2d(x, weights.get(layer + ".weight"), weights.get(layer + ".bias"), ONE, padding, ONE, 1)
                .singletonOrThrow();
    }

    private NDArray linear(NDArray x, String layer) {
        return Linear.linear(x, weights.get(layer + ".weight"), weights.get(layer + ".bias")).singletonOrThrow();
    }

    @Override
    public void close() {
        manager.close();
    }
}
