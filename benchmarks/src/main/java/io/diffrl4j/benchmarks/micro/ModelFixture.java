package io.diffrl4j.benchmarks.micro;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.benchmarks.support.GradMode;
import io.diffrl4j.benchmarks.support.Sd35mShaped;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.examples.shapes.PromptGrammar;
import io.diffrl4j.examples.shapes.ShapesModel;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * A model named by a spec string (see the package comment), with conditioning of its batch, in
 * its own root manager. {@code shapes}: the shipped Shapes model and its text encoder on training
 * prompts; {@code sd35m-<L>L}: the SD3.5-M-shaped model with random weights and random text
 * embeddings of SD3.5's shapes (333 x 4096 tokens, 2048 pooled). The CFG guidance and sampler shift
 * are the ones each model trains with (Shapes: 3 and 1, SD3.5-M: 4.5 and 3).
 */
final class ModelFixture implements AutoCloseable {
    private static final Pattern SD35M = Pattern.compile("sd35m-(\\d+)L(?:-b(\\d+))?");
    private static final Pattern SHAPES = Pattern.compile("shapes(?:-b(\\d+))?");

    final NDManager root;
    final MmditModel model;
    final Conditioning cond;
    final Conditioning uncond;
    final Shape sampleShape;
    final int batch;
    final double guidance;
    final double shift;
    final String description;
    private final AutoCloseable owner;

    private ModelFixture(NDManager root, MmditModel model, AutoCloseable owner, Conditioning cond, Conditioning uncond,
            Shape sampleShape, int batch, double guidance, double shift, String description) {
        this.root = root;
        this.model = model;
        this.owner = owner;
        this.cond = cond;
        this.uncond = uncond;
        this.sampleShape = sampleShape;
        this.batch = batch;
        this.guidance = guidance;
        this.shift = shift;
        this.description = description;
    }

    /**
     * @param spec {@code shapes[-b<N>]} or {@code sd35m-<L>L[-b<N>]}
     * @return the fixture (adapters disabled, no set created)
     */
    static ModelFixture create(String spec) {
        GradMode.offForThisThread();
        Matcher s = SHAPES.matcher(spec);
        Matcher m = SD35M.matcher(spec);
        NDManager root = NDManager.newBaseManager();
        try {
            if (s.matches()) {
                int batch = s.group(1) == null ? 16 : Integer.parseInt(s.group(1));
                ShapesModel shapes = ShapesModel.pretrained(root);
                List<String> texts = PromptGrammar.trainingPrompts().stream().map(Prompt::text).limit(batch).toList();
                while (texts.size() < batch) {
                    texts = java.util.stream.Stream.concat(texts.stream(), texts.stream()).limit(batch).toList();
                }
                Conditioning cond = shapes.textEncoder().encode(texts, root);
                Conditioning uncond = shapes.textEncoder().unconditional(batch, root);
                return new ModelFixture(root, shapes.transformer(), shapes, cond, uncond, ShapesModel.sampleShape(), batch,
                        3.0, 1.0, "Shapes model (shipped weights), batch " + batch + ", 64 image tokens");
            }
            if (m.matches()) {
                int layers = Integer.parseInt(m.group(1));
                int batch = m.group(2) == null ? 1 : Integer.parseInt(m.group(2));
                MmditModel model = MmditModel.random(Sd35mShaped.reduced(layers), LoraConfig.builder().build(), root, 11);
                SeededNoise rng = new SeededNoise(12);
                Conditioning cond = Conditioning.of(
                        rng.normal(root, new Shape(batch, Sd35mShaped.TEXT_TOKENS, 4096)), rng.normal(root, new Shape(batch, 2048)));
                Conditioning uncond = Conditioning.of(
                        rng.normal(root, new Shape(batch, Sd35mShaped.TEXT_TOKENS, 4096)), rng.normal(root, new Shape(batch, 2048)));
                int side = Sd35mShaped.LATENT_512;
                return new ModelFixture(root, model, model, cond, uncond, new Shape(16, side, side), batch, 4.5, 3.0,
                        Sd35mShaped.describe(layers) + ", 512 px (1024 image + 333 text tokens), batch " + batch);
            }
        } catch (IOException e) {
            root.close();
            throw new UncheckedIOException(e);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
        root.close();
        throw new IllegalArgumentException("model spec must be shapes[-b<N>] or sd35m-<L>L[-b<N>], got " + spec);
    }

    /**
     * Moves the conditioning and {@code extra} into a per-call manager until it closes, so that
     * results derived from them (DJL: results follow their first operand) are freed with the call.
     *
     * @param step the per-call manager
     * @param extra further arrays of the root manager the call reads
     */
    void attach(NDManager step, ai.djl.ndarray.NDArray... extra) {
        step.tempAttachAll(cond.sequence(), cond.pooled(), uncond.sequence(), uncond.pooled());
        if (extra.length > 0) {
            step.tempAttachAll(extra);
        }
    }

    /** @return (batch, sample shape...) */
    Shape batchShape() {
        return new Shape(batch).addAll(sampleShape);
    }

    @Override
    public void close() {
        try {
            owner.close();
        } catch (Exception e) {
            throw new IllegalStateException("closing " + description, e);
        } finally {
            root.close();
        }
    }
}
