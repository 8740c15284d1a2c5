package io.diffrl4j.examples.shapes;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.LatentDecoder;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.TensorDtype;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import io.diffrl4j.examples.text.TokenTextEncoder;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Map;

/**
 * The Shapes world's text-to-image model: an SD3.5-family MMDiT (dual attention in the first two
 * blocks, QK RMS norm) in pixel space (3 x 32 x 32 in [-1, 1], patch 4, so 64 image tokens), with
 * the {@link ShapesTokenizer} and a {@link TokenTextEncoder}. The pretrained weights ship as
 * resources under {@code io/diffrl4j/examples/shapes/model/} and are reproduced by {@link
 * PretrainShapes}. Closing it frees the model and the encoder.
 */
public final class ShapesModel implements AutoCloseable {
    /** Where the shipped weights live on the classpath. */
    public static final String RESOURCE_DIR = "/io/diffrl4j/examples/shapes/model/";
    static final String TRANSFORMER = "transformer.safetensors";
    static final String TEXT_ENCODER = "text_encoder.safetensors";
    static final String CONFIG = "config.json";
    /** Width of the text embeddings. */
    public static final int TEXT_WIDTH = 64;

    private final MmditModel transformer;
    private final TokenTextEncoder text;
    private final ShapesTokenizer tokenizer;

    private ShapesModel(MmditModel transformer, TokenTextEncoder text, ShapesTokenizer tokenizer) {
        this.transformer = transformer;
        this.text = text;
        this.tokenizer = tokenizer;
    }

    /** @return the architecture: 4 blocks of width 128 (4 heads of 32), patch 4 over 32 x 32 RGB */
    public static MmditConfig config() {
        return MmditConfig.builder().optSampleSize(32).optPatchSize(4).optInChannels(3).optOutChannels(3)
                .optNumLayers(4).optAttentionHeadDim(32).optNumAttentionHeads(4).optJointAttentionDim(TEXT_WIDTH)
                .optCaptionProjectionDim(128).optPooledProjectionDim(TEXT_WIDTH).optPosEmbedMaxSize(8)
                .optDualAttentionLayers(List.of(0, 1)).optQkNorm("rms_norm").build();
    }

    /** @return the LoRA recipe for RL on this model: rank 8, alpha 16 on the attention projections */
    public static LoraConfig lora() {
        return LoraConfig.builder().optRank(8).optAlpha(16).build();
    }

    /** @return one sample's shape: 3 x 32 x 32 */
    public static Shape sampleShape() {
        return new Shape(3, 32, 32);
    }

    /** @return samples in [-1, 1] to RGB images in [0, 1] */
    public static LatentDecoder decoder() {
        return x -> x.add(1).div(2).clip(0, 1);
    }

    /**
     * A randomly initialised model (the start of pretraining).
     *
     * @param parent owner of the model's managers
     * @param seed init seed
     * @return the model
     */
    public static ShapesModel random(NDManager parent, long seed) {
        ShapesTokenizer tokenizer = ShapesTokenizer.load();
        return new ShapesModel(MmditModel.random(config(), lora(), parent, seed),
                TokenTextEncoder.random(tokenizer, TEXT_WIDTH, parent, seed + 1), tokenizer);
    }

    /**
     * @param dir a folder written by {@link #save}
     * @param parent owner of the model's managers
     * @return the model
     * @throws IOException when the files are missing or do not match
     */
    public static ShapesModel load(Path dir, NDManager parent) throws IOException {
        ShapesTokenizer tokenizer = ShapesTokenizer.load();
        MmditConfig config = MmditConfig.fromJson(dir.resolve(CONFIG));
        try (WeightSource t = WeightSources.open(dir.resolve(TRANSFORMER));
                WeightSource e = WeightSources.open(dir.resolve(TEXT_ENCODER))) {
            return new ShapesModel(MmditModel.load(config, lora(), t, parent, DataType.FLOAT32),
                    TokenTextEncoder.load(tokenizer, e, parent), tokenizer);
        }
    }

    /**
     * The pretrained model shipped with the library (copied from the classpath to a temporary folder).
     *
     * @param parent owner of the model's managers
     * @return the model
     * @throws IOException when the resources are missing
     */
    public static ShapesModel pretrained(NDManager parent) throws IOException {
        Path dir = Files.createTempDirectory("shapes-model");
        try {
            for (String name : new String[] {CONFIG, TRANSFORMER, TEXT_ENCODER}) {
                try (InputStream in = ShapesModel.class.getResourceAsStream(RESOURCE_DIR + name)) {
                    if (in == null) {
                        throw new IOException("the pretrained Shapes model is missing from the classpath: " + RESOURCE_DIR + name
                                + " (run PretrainShapes to make it)");
                    }
                    Files.copy(in, dir.resolve(name), StandardCopyOption.REPLACE_EXISTING);
                }
            }
            return load(dir, parent);
        } finally {
            for (String name : new String[] {CONFIG, TRANSFORMER, TEXT_ENCODER}) {
                Files.deleteIfExists(dir.resolve(name));
            }
            Files.deleteIfExists(dir);
        }
    }

    /**
     * Writes config.json, transformer.safetensors and text_encoder.safetensors (fp16 storage).
     *
     * @param dir the folder (created)
     * @throws IOException when writing fails
     */
    public void save(Path dir) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve(CONFIG), transformer.config().toJson().toPrettyString());
        new SafetensorsWriter(TensorDtype.F16).write(dir.resolve(TRANSFORMER), transformer.baseWeights(), Map.of("format", "pt"));
        Map<String, NDArray> textWeights = new java.util.LinkedHashMap<>();
        text.namedParameters().forEach((k, p) -> textWeights.put(k, p.getArray()));
        new SafetensorsWriter(TensorDtype.F16).write(dir.resolve(TEXT_ENCODER), textWeights, Map.of("format", "pt"));
    }

    /** @return the transformer (with its adapter registry) */
    public MmditModel transformer() {
        return transformer;
    }

    /** @return the text encoder */
    public TokenTextEncoder textEncoder() {
        return text;
    }

    /** @return the tokenizer */
    public ShapesTokenizer tokenizer() {
        return tokenizer;
    }

    @Override
    public void close() {
        transformer.close();
        text.close();
        tokenizer.close();
    }
}
