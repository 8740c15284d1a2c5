package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.Map;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A frozen CLIP text model with projection, as transformers' {@code CLIPTextModelWithProjection}
 * (SD3's CLIP-L and CLIP-G): token and position embeddings, pre-LN transformer layers with CLIP's
 * causal self-attention (no padding mask, as SD3 calls it), a final layer norm, and the projection
 * of the hidden state at the first EOS token.
 *
 * <p>Weights keep transformers' names and are held in FLOAT32, or FLOAT16 (computed in half
 * precision, softmax in fp32, as transformers does in fp16). Outputs are FLOAT32 either way.
 * Inference only: the weights are frozen, so no gradient is recorded
 * even inside a {@code GradientCollector}.
 *
 * <p>Owns one manager for the weights, created under the parent passed to {@link #load} (which
 * decides the device); {@link #close()} frees it.
 */
public final class ClipTextModel extends AbstractEncoderModel<ClipTextConfig> {
    private static final Logger LOG = LoggerFactory.getLogger(ClipTextModel.class);

    /** A buffer older transformers versions saved with the weights; positions are recomputed. */
    private static final Set<String> DERIVED_KEYS = Set.of("text_model.embeddings.position_ids");

    private final ClipTextNetwork network;

    private ClipTextModel(ClipTextConfig config, ClipTextNetwork network, NDManager manager, DataType dtype) {
        super(config, network, manager, dtype);
        this.network = network;
    }

    /**
     * Loads a checkpoint by transformers' names ({@code text_model.embeddings.token_embedding.weight},
     * {@code text_model.encoder.layers.N.self_attn.q_proj.weight}, ..., {@code text_projection.weight}).
     * Names and stored shapes are checked against the config before any tensor is read.
     *
     * @param config the architecture
     * @param weights the checkpoint (see {@code WeightSources.open}); bf16 is converted on reading
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 for half-precision weights and compute
     * @return the model
     * @throws IOException when a tensor cannot be read
     * @throws IllegalArgumentException listing missing and unexpected tensor names, or every tensor
     *     whose shape differs from the config's (found vs needed)
     */
    public static ClipTextModel load(ClipTextConfig config, WeightSource weights, NDManager parent, DataType dtype)
            throws IOException {
        EncoderSupport.checkDtype(dtype);
        ClipTextNetwork network = new ClipTextNetwork(config);
        NDManager manager = EncoderSupport.loadFrozen("CLIP text model", network, ClipTextNetwork.shapes(config),
                Map.of(), DERIVED_KEYS, weights, parent, name -> dtype);
        ClipTextModel model = new ClipTextModel(config, network, manager, dtype);
        LOG.debug("loaded a CLIP text model: {} layers, width {}, {} parameters, {}", config.numHiddenLayers(),
                config.hiddenSize(), model.parameterCount(), dtype);
        return model;
    }

    /**
     * Encodes token ids (padded rows, no attention mask). Intermediates are freed before this
     * returns.
     *
     * @param inputIds (B, T) integer token ids, T at most {@code max_position_embeddings}; not
     *     modified, any manager and device
     * @param manager owns the three returned arrays
     * @return penultimate and last hidden states (B, T, D) and text embeddings (B, P), FLOAT32
     * @throws IllegalArgumentException when the ids are not (B, T) integers inside the vocabulary
     */
    public ClipTextOutput encode(NDArray inputIds, NDManager manager) {
        try (NDManager scope = this.manager.newSubManager()) {
            NDArray ids = EncoderSupport.tokenIds(inputIds, scope, config.vocabSize(), config.maxPositionEmbeddings());
            NDArray[] out = network.forward(ids);
            return new ClipTextOutput(EncoderSupport.float32To(out[0], manager),
                    EncoderSupport.float32To(out[1], manager), EncoderSupport.float32To(out[2], manager));
        }
    }

    /**
     * The position each row is pooled at, by transformers' rule (first {@code eos_token_id};
     * {@code argmax(input_ids)} when the config's {@code eos_token_id} is 2).
     *
     * @param inputIds (B, T) integer token ids
     * @return the B positions
     */
    public long[] pooledPositions(NDArray inputIds) {
        try (NDManager scope = this.manager.newSubManager()) {
            NDArray ids = EncoderSupport.tokenIds(inputIds, scope, config.vocabSize(), config.maxPositionEmbeddings());
            return network.eosPositions(ids).toLongArray();
        }
    }




}
