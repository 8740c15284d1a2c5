package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen CLIP vision tower with projection, as transformers' {@code CLIPVisionModelWithProjection}
 * and the image half of {@code CLIPModel}: patch embedding (a bias-free convolution), class token,
 * position embeddings, {@code pre_layrnorm}, the text model's encoder layers without a mask,
 * {@code post_layernorm} on the class token, and {@code visual_projection}.
 *
 * <p>Input pixels are already preprocessed (resized, cropped, normalised: CLIPImageProcessor's
 * {@code pixel_values}). Weights are held in FLOAT32 or FLOAT16 as in {@link ClipTextModel};
 * outputs are FLOAT32. Inference only: no gradient is recorded, even inside a
 * {@code GradientCollector}.
 *
 * <p>Owns one manager for the weights, created under the parent passed to {@link #load} (which
 * decides the device); {@link #close()} frees it. {@link #encode} may be called from several
 * threads at once.
 */
public final class ClipVisionModel extends AbstractEncoderModel<ClipVisionConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(ClipVisionModel.class);

    /** A buffer older transformers versions saved with the weights; positions are recomputed. */
    private static final Set<String> DERIVED_KEYS = Set.of("vision_model.embeddings.position_ids");

    private final ClipVisionNetwork network;

    private ClipVisionModel(ClipVisionConfig config, ClipVisionNetwork network, NDManager manager, DataType dtype) {
        super(config, network, manager, dtype);
        this.network = network;
    }

    /**
     * Loads a checkpoint by transformers' names ({@code vision_model.embeddings.patch_embedding.weight},
     * {@code vision_model.embeddings.class_embedding}, {@code vision_model.pre_layrnorm.weight},
     * {@code vision_model.encoder.layers.N.self_attn.q_proj.weight}, ..., {@code visual_projection.weight}).
     * Names and stored shapes are checked against the config before any tensor is read. A
     * {@code CLIPModel} checkpoint holds the text tower too: open it with {@link ClipModel#loadVision}.
     *
     * @param config the architecture
     * @param weights the checkpoint; bf16 is converted on reading
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 for half-precision weights and compute
     * @return the model
     * @throws IOException when a tensor cannot be read
     * @throws IllegalArgumentException listing missing and unexpected tensor names, or every tensor
     *     whose shape differs from the config's (found vs needed)
     */
    public static ClipVisionModel load(ClipVisionConfig config, WeightSource weights, NDManager parent, DataType dtype)
            throws IOException {
        EncoderSupport.checkDtype(dtype);
        ClipVisionNetwork network = new ClipVisionNetwork(config);
        NDManager manager = EncoderSupport.loadFrozen("CLIP vision model", network, ClipVisionNetwork.shapes(config),
                Map.of(), DERIVED_KEYS, weights, parent, name -> dtype);
        ClipVisionModel model = new ClipVisionModel(config, network, manager, dtype);
        LOG.debug("loaded a CLIP vision model: {} layers, width {}, {}x{} patches of {}, {} parameters, {}",
                config.numHiddenLayers(), config.hiddenSize(), config.gridSize(), config.gridSize(),
                config.patchSize(), EncoderSupport.parameterCount(network), dtype);
        return model;
    }

    /**
     * Encodes preprocessed images. Intermediates are freed before this returns.
     *
     * @param pixelValues (B, C, S, S) floating-point, C = {@code num_channels}, S = {@code image_size};
     *     not modified, any manager and device
     * @param manager owns the three returned arrays
     * @return the last hidden state, the pooled output and the image embeddings, FLOAT32
     * @throws IllegalArgumentException when the pixels are not (B, C, S, S) floats
     */
    public ClipVisionOutput encode(NDArray pixelValues, NDManager manager) {
        Shape s = pixelValues.getShape();
        int side = config.imageSize();
        if (s.dimension() != 4 || s.get(0) < 1 || s.get(1) != config.numChannels() || s.get(2) != side
                || s.get(3) != side) {
            throw new IllegalArgumentException("pixel values must be (B, " + config.numChannels() + ", " + side + ", "
                    + side + ") with B >= 1, got " + s);
        }
        if (!pixelValues.getDataType().isFloating()) {
            throw new IllegalArgumentException("pixel values must be floating point, got " + pixelValues.getDataType());
        }
        try (NDManager scope = this.manager.newSubManager()) {
            NDArray[] out = network.forward(EncoderSupport.copyInto(pixelValues, scope, dtype()));
            return new ClipVisionOutput(EncoderSupport.float32To(out[0], manager),
                    EncoderSupport.float32To(out[1], manager), EncoderSupport.float32To(out[2], manager));
        }
    }




}
