package io.diffrl4j.models.sd3;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.models.text.ClipTextConfig;
import io.diffrl4j.models.text.ClipTextModel;
import io.diffrl4j.models.text.T5Config;
import io.diffrl4j.models.text.T5EncoderModel;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;
import io.diffrl4j.models.text.tokenizer.T5Tokenizer;
import io.diffrl4j.models.vae.AutoencoderKL;
import io.diffrl4j.models.vae.VaeConfig;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A Stable Diffusion 3 / 3.5 pipeline folder in diffusers' layout (that of
 * {@code stabilityai/stable-diffusion-3.5-medium}): {@code model_index.json}, {@code scheduler/},
 * {@code transformer/}, {@code vae/}, {@code text_encoder/} + {@code tokenizer/} (CLIP-L),
 * {@code text_encoder_2/} + {@code tokenizer_2/} (CLIP-G) and, optionally,
 * {@code text_encoder_3/} + {@code tokenizer_3/} (T5-XXL).
 *
 * <p>Opening reads only the index and the configs, and checks that the encoders fit the
 * transformer. Weights load on demand, one component at a time, each returned model owned by the
 * caller (closing it releases the component); checkpoints may be single or sharded files, bf16
 * weights are converted while streaming from the memory-mapped file. Errors name the file, and
 * for weights the tensors (missing, unexpected, wrong shape), as the loaders report them.
 */
public final class StableDiffusion3Folder {
    /** The components every SD3 pipeline folder has; T5 ({@code text_encoder_3}) may be absent. */
    public static final List<String> REQUIRED = List.of(
            "scheduler", "transformer", "vae", "text_encoder", "tokenizer", "text_encoder_2", "tokenizer_2");

    private static final Logger LOG = LoggerFactory.getLogger(StableDiffusion3Folder.class);

    private final Path folder;
    private final ModelIndex index;
    private final MmditConfig transformerConfig;
    private final VaeConfig vaeConfig;
    private final ClipTextConfig clipLConfig;
    private final ClipTextConfig clipGConfig;
    private final T5Config t5Config;
    private final double shift;

    private StableDiffusion3Folder(Path folder, ModelIndex index) throws IOException {
        this.folder = folder;
        this.index = index;
        for (String c : REQUIRED) {
            index.require(c);
            if (!Files.isDirectory(folder.resolve(c))) {
                throw new NoSuchFileException(folder.resolve(c).toString(), null,
                        "component \"" + c + "\" is listed in " + ModelIndex.FILE_NAME + " but its folder is missing");
            }
        }
        if (index.has("text_encoder_3") != index.has("tokenizer_3")) {
            throw new IllegalArgumentException(index.file() + " must list both text_encoder_3 and tokenizer_3 or neither");
        }
        this.transformerConfig = MmditConfig.fromJson(config("transformer", "config.json"));
        this.vaeConfig = VaeConfig.fromJson(config("vae", "config.json"));
        this.clipLConfig = ClipTextConfig.fromJson(config("text_encoder", "config.json"));
        this.clipGConfig = ClipTextConfig.fromJson(config("text_encoder_2", "config.json"));
        this.t5Config = index.has("text_encoder_3") ? T5Config.fromJson(config("text_encoder_3", "config.json")) : null;
        this.shift = readShift(config("scheduler", "scheduler_config.json"));
        if (vaeConfig.latentChannels() != transformerConfig.inChannels()) {
            throw new IllegalArgumentException("the VAE's latent_channels " + vaeConfig.latentChannels()
                    + " differ from the transformer's in_channels " + transformerConfig.inChannels());
        }
        promptLayout(T5Tokenizer.DEFAULT_MAX_LENGTH);
    }

    /**
     * @param folder a diffusers pipeline folder
     * @return the folder, its configs read and checked, no weights loaded
     * @throws IOException naming the missing or unreadable file
     * @throws IllegalArgumentException naming the file and field of a bad config, or the
     *     encoder/transformer widths that do not fit
     */
    public static StableDiffusion3Folder open(Path folder) throws IOException {
        return new StableDiffusion3Folder(folder, ModelIndex.read(folder));
    }

    /** @return the pipeline folder */
    public Path folder() {
        return folder;
    }

    /** @return the component index */
    public ModelIndex index() {
        return index;
    }

    /** @return the transformer's architecture */
    public MmditConfig transformerConfig() {
        return transformerConfig;
    }

    /** @return the VAE's architecture and latent scaling */
    public VaeConfig vaeConfig() {
        return vaeConfig;
    }

    /** @return CLIP-L's config ({@code text_encoder}) */
    public ClipTextConfig clipLConfig() {
        return clipLConfig;
    }

    /** @return CLIP-G's config ({@code text_encoder_2}) */
    public ClipTextConfig clipGConfig() {
        return clipGConfig;
    }

    /** @return T5's config ({@code text_encoder_3}), empty when the pipeline has none */
    public Optional<T5Config> t5Config() {
        return Optional.ofNullable(t5Config);
    }

    /** @return the scheduler's time shift ({@code shift} of {@code scheduler_config.json}; 3.0 for SD3.5) */
    public double shift() {
        return shift;
    }

    /**
     * @param maxSequenceLength T5 tokens (256 in diffusers' pipeline)
     * @return where the encoders' outputs go in the prompt embedding
     */
    public PromptLayout promptLayout(int maxSequenceLength) {
        return PromptLayout.of(clipLConfig, clipGConfig, t5Config, maxSequenceLength, transformerConfig);
    }

    /**
     * @param lora where adapters go
     * @param parent the manager (and device) the model lives under
     * @param dtype FLOAT16 (GPU) or FLOAT32
     * @return the transformer; the caller closes it
     * @throws IOException naming the checkpoint file that is missing, truncated or unreadable
     */
    public MmditModel loadTransformer(LoraConfig lora, NDManager parent, DataType dtype) throws IOException {
        try (WeightSource w = weights("transformer")) {
            MmditModel m = MmditModel.load(transformerConfig, lora, w, parent, dtype);
            logLoaded("transformer", m.parameterCount(), dtype, parent);
            return m;
        }
    }

    /**
     * @param parent the manager (and device) the model lives under
     * @param dtype FLOAT16 or FLOAT32
     * @return the VAE; the caller closes it
     * @throws IOException naming the checkpoint file that is missing, truncated or unreadable
     */
    public AutoencoderKL loadVae(NDManager parent, DataType dtype) throws IOException {
        try (WeightSource w = weights("vae")) {
            AutoencoderKL m = AutoencoderKL.load(vaeConfig, w, parent, dtype);
            logLoaded("vae", m.parameterCount(), dtype, parent);
            return m;
        }
    }

    /**
     * @param which {@code text_encoder} (CLIP-L) or {@code text_encoder_2} (CLIP-G)
     * @param parent the manager (and device) the model lives under
     * @param dtype FLOAT16 or FLOAT32
     * @return the encoder; the caller closes it
     * @throws IOException naming the checkpoint file that is missing, truncated or unreadable
     */
    public ClipTextModel loadClip(String which, NDManager parent, DataType dtype) throws IOException {
        ClipTextConfig c = switch (which) {
            case "text_encoder" -> clipLConfig;
            case "text_encoder_2" -> clipGConfig;
            default -> throw new IllegalArgumentException("CLIP encoders are text_encoder and text_encoder_2, not " + which);
        };
        try (WeightSource w = weights(which)) {
            ClipTextModel m = ClipTextModel.load(c, w, parent, dtype);
            logLoaded(which, m.parameterCount(), dtype, parent);
            return m;
        }
    }

    /**
     * @param parent the manager (and device) the model lives under
     * @return T5 in FLOAT32 (its feed-forward overflows FLOAT16); the caller closes it
     * @throws IllegalStateException when the pipeline has no T5
     * @throws IOException naming the checkpoint file that is missing, truncated or unreadable
     */
    public T5EncoderModel loadT5(NDManager parent) throws IOException {
        if (t5Config == null) {
            throw new IllegalStateException(index.file() + " has no text_encoder_3 (T5)");
        }
        try (WeightSource w = weights("text_encoder_3")) {
            T5EncoderModel m = T5EncoderModel.load(t5Config, w, parent, DataType.FLOAT32);
            logLoaded("text_encoder_3", m.parameterCount(), DataType.FLOAT32, parent);
            return m;
        }
    }

    /**
     * @param which {@code tokenizer} (CLIP-L's) or {@code tokenizer_2} (CLIP-G's)
     * @return the tokenizer; the caller closes it
     * @throws IOException when its files are missing or unreadable
     */
    public ClipTokenizer loadClipTokenizer(String which) throws IOException {
        if (!which.equals("tokenizer") && !which.equals("tokenizer_2")) {
            throw new IllegalArgumentException("CLIP tokenizers are tokenizer and tokenizer_2, not " + which);
        }
        return ClipTokenizer.load(folder.resolve(which));
    }

    /**
     * @param maxSequenceLength tokens per prompt (256)
     * @return T5's tokenizer ({@code tokenizer_3}); the caller closes it
     * @throws IOException when its files are missing or unreadable
     */
    public T5Tokenizer loadT5Tokenizer(int maxSequenceLength) throws IOException {
        if (t5Config == null) {
            throw new IllegalStateException(index.file() + " has no tokenizer_3 (T5)");
        }
        return T5Tokenizer.load(folder.resolve("tokenizer_3"), maxSequenceLength);
    }

    /**
     * @param component a component with weights (transformer, vae, text_encoder...)
     * @return its tensor count, parameters and stored bytes, from the headers only
     * @throws IOException naming the checkpoint file that is missing or unreadable
     */
    public WeightSummary weightSummary(String component) throws IOException {
        try (WeightSource w = weights(component)) {
            return WeightSummary.of(component, w);
        }
    }

    /** @return the components with weights, in loading order (T5 only when present) */
    public List<String> weightedComponents() {
        List<String> out = new ArrayList<>(List.of("transformer", "vae", "text_encoder", "text_encoder_2"));
        if (t5Config != null) {
            out.add("text_encoder_3");
        }
        return out;
    }

    /**
     * @param component the component's folder name
     * @return its checkpoint, opened; the caller closes it
     * @throws IOException naming the component and file when nothing loadable is there
     */
    public WeightSource weights(String component) throws IOException {
        index.require(component);
        try {
            return WeightSources.open(folder.resolve(component));
        } catch (NoSuchFileException e) {
            throw new NoSuchFileException(e.getFile(), e.getOtherFile(),
                    "weights of component \"" + component + "\": " + e.getReason());
        }
    }

    private Path config(String component, String name) throws NoSuchFileException {
        Path p = folder.resolve(component).resolve(name);
        if (!Files.isRegularFile(p)) {
            throw new NoSuchFileException(p.toString(), null, "component \"" + component + "\" has no " + name);
        }
        return p;
    }

    private static double readShift(Path file) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read scheduler config " + file + ": " + e.getMessage(), e);
        }
        int trainSteps = n.path("num_train_timesteps").asInt(InferenceSchedule.TRAIN_TIMESTEPS);
        if (trainSteps != InferenceSchedule.TRAIN_TIMESTEPS) {
            throw new IllegalArgumentException("scheduler config " + file + ": num_train_timesteps " + trainSteps
                    + " is not supported (only " + InferenceSchedule.TRAIN_TIMESTEPS + ")");
        }
        if (n.path("use_dynamic_shifting").asBoolean(false)) {
            throw new IllegalArgumentException("scheduler config " + file
                    + ": use_dynamic_shifting (resolution-dependent shift, SD3.5-Large turbo style) is not supported");
        }
        double shift = n.path("shift").asDouble(1.0);
        if (!(shift > 0) || Double.isInfinite(shift)) {
            throw new IllegalArgumentException("scheduler config " + file + ": shift must be positive, got " + n.path("shift"));
        }
        return shift;
    }

    private static void logLoaded(String component, long parameters, DataType dtype, NDManager parent) {
        if (LOG.isInfoEnabled()) {
            LOG.info("loaded {}: {} parameters, {} MiB as {} on {}", component, String.format("%,d", parameters),
                    parameters * (dtype == DataType.FLOAT16 ? 2 : 4) >> 20, dtype, parent.getDevice());
        }
    }
}
