package io.diffrl4j.examples.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A small trainable text encoder: token embeddings plus learned position embeddings give the
 * token sequence (B, T, D) the MMDiT attends to, and the mean over non-padding tokens gives the
 * pooled vector (B, D), so the model sees prompts the way SD3 sees its text encoders' outputs. The
 * unconditional input is the empty prompt (all padding), as SD3's negative prompt is "".
 *
 * <p>Owns its weights in its own manager ({@link #close()}); conditionings it returns belong to
 * the manager passed to {@link #encode}.
 */
public final class TokenTextEncoder extends ModuleBlock implements TextEncoder, AutoCloseable {
    private final PromptTokenizer tokenizer;
    private final int width;
    private final Parameter tokens;
    private final Parameter positions;
    private final NDManager manager;

    private TokenTextEncoder(PromptTokenizer tokenizer, int width, NDManager parent) {
        this.tokenizer = tokenizer;
        this.width = width;
        this.tokens = parameter("token_embedding.weight");
        this.positions = parameter("position_embedding.weight");
        this.manager = parent.newSubManager();
    }

    /**
     * @param tokenizer prompts to ids
     * @param width D, the embedding width (the MMDiT's joint_attention_dim and pooled_projection_dim)
     * @param parent owner of the encoder's manager
     * @param seed init seed (N(0, 0.02^2) like CLIP's embeddings)
     * @return a randomly initialised encoder
     */
    public static TokenTextEncoder random(PromptTokenizer tokenizer, int width, NDManager parent, long seed) {
        TokenTextEncoder e = new TokenTextEncoder(tokenizer, width, parent);
        SeededNoise rng = new SeededNoise(seed);
        e.set(e.tokens, rng.normal(e.manager, new Shape(tokenizer.vocabularySize(), width)).muli(0.02f));
        e.set(e.positions, rng.normal(e.manager, new Shape(tokenizer.length(), width)).muli(0.01f));
        return e;
    }

    /**
     * @param tokenizer prompts to ids
     * @param weights a file written by {@link #save}
     * @param parent owner of the encoder's manager
     * @return the encoder
     * @throws IOException when the weights cannot be read or do not match the tokenizer
     */
    public static TokenTextEncoder load(PromptTokenizer tokenizer, WeightSource weights, NDManager parent) throws IOException {
        NDArray t = weights.read("token_embedding.weight", parent, DataType.FLOAT32);
        int width = (int) t.getShape().get(1);
        if (t.getShape().get(0) != tokenizer.vocabularySize()) {
            throw new IllegalArgumentException("text encoder weights have " + t.getShape().get(0)
                    + " tokens, the tokenizer has " + tokenizer.vocabularySize());
        }
        TokenTextEncoder e = new TokenTextEncoder(tokenizer, width, parent);
        t.attach(e.manager);
        e.set(e.tokens, t);
        NDArray p = weights.read("position_embedding.weight", e.manager, DataType.FLOAT32);
        if (p.getShape().get(0) != tokenizer.length() || p.getShape().get(1) != width) {
            throw new IllegalArgumentException("text encoder position embedding " + p.getShape() + " does not fit "
                    + tokenizer.length() + " x " + width);
        }
        e.set(e.positions, p);
        return e;
    }

    /** @return the embedding width D */
    public int width() {
        return width;
    }

    /** @param trainable whether the embeddings take gradients @return the arrays */
    public List<NDArray> setTrainable(boolean trainable) {
        List<NDArray> out = new ArrayList<>();
        for (Parameter p : namedParameters().values()) {
            p.getArray().setRequiresGradient(trainable);
            out.add(p.getArray());
        }
        return out;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager owner) {
        long[][] ids = tokenizer.encode(prompts);
        long[] flat = new long[ids.length * tokenizer.length()];
        float[] mask = new float[flat.length];
        for (int b = 0; b < ids.length; b++) {
            for (int t = 0; t < tokenizer.length(); t++) {
                flat[b * tokenizer.length() + t] = ids[b][t];
                mask[b * tokenizer.length() + t] = ids[b][t] == tokenizer.padId() ? 0f : 1f;
            }
        }
        // Owned copies: the embedding's backward keeps the index, and DJL's create() wraps a Java buffer.
        NDArray index = owner.create(flat, new Shape(ids.length, tokenizer.length())).duplicate();
        NDArray gathered = tokens.getArray().get(new NDIndex("{}", index));
        gathered.attach(owner);
        NDArray sequence = gathered.add(positions.getArray());
        NDArray m = owner.create(mask, new Shape(ids.length, tokenizer.length(), 1)).duplicate();
        NDArray count = m.sum(new int[] {1}).maximum(1f);
        NDArray pooled = sequence.mul(m).sum(new int[] {1}).div(count);
        return Conditioning.of(sequence, pooled);
    }

    @Override
    public Conditioning unconditional(int batch, NDManager owner) {
        List<String> empty = new ArrayList<>();
        for (int i = 0; i < batch; i++) {
            empty.add("");
        }
        return encode(empty, owner);
    }

    /**
     * @param file destination (atomic write)
     * @throws IOException when writing fails
     */
    public void save(Path file) throws IOException {
        Map<String, NDArray> out = new LinkedHashMap<>();
        namedParameters().forEach((k, p) -> out.put(k, p.getArray()));
        SafetensorsWriter.save(file, out, Map.of("format", "pt"));
    }

    private void set(Parameter p, NDArray a) {
        p.setArray(a);
        a.setName(p.getName());
    }

    @Override
    public void close() {
        manager.close();
    }
}
