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
 * A frozen T5 encoder, as transformers' {@code T5EncoderModel} (SD3's T5-XXL): shared token
 * embedding, blocks of RMS-normed self-attention with a bucketed relative position bias (computed
 * once, shared by all blocks) and a feed-forward (gated tanh-GELU for T5 v1.1), and a final RMS
 * norm. Called with no attention mask, as the SD3 pipeline calls it: padded positions attend and
 * are attended to.
 *
 * <p>FLOAT32 weights compute in fp32 (what SD3 needs: T5's feed-forward overflows fp16). FLOAT16
 * halves the memory and follows transformers' fp16 T5: the {@code wo} projections stay fp32, which
 * makes the residual stream fp32 after the first feed-forward, and fp16 activations are clamped.
 * Outputs are FLOAT32 either way. Inference only: the weights are frozen, so no gradient is recorded
 * even inside a {@code GradientCollector}.
 *
 * <p>Owns one manager for the weights, created under the parent passed to {@link #load} (which
 * decides the device); {@link #close()} frees it.
 */
public final class T5EncoderModel extends AbstractEncoderModel<T5Config> {
    private static final Logger LOG = LoggerFactory.getLogger(T5EncoderModel.class);

    /** The embedding's parameter name, and the tied copy some checkpoints store instead or as well. */
    private static final String SHARED = "shared.weight";
    private static final String EMBED_TOKENS = "encoder.embed_tokens.weight";

    private final T5Network network;

    private T5EncoderModel(T5Config config, T5Network network, NDManager manager, DataType dtype) {
        super(config, network, manager, dtype);
        this.network = network;
    }

    /**
     * Loads a checkpoint by transformers' names ({@code shared.weight} or its tied copy
     * {@code encoder.embed_tokens.weight}, {@code encoder.block.N.layer.0.SelfAttention.q.weight},
     * ..., {@code encoder.final_layer_norm.weight}). Names and stored shapes are checked against
     * the config before any tensor is read.
     *
     * @param config the architecture
     * @param weights the checkpoint (see {@code WeightSources.open}); bf16 is converted on reading
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 (the {@code wo} projections are still held in FLOAT32)
     * @return the model
     * @throws IOException when a tensor cannot be read
     * @throws IllegalArgumentException listing missing and unexpected tensor names, or every tensor
     *     whose shape differs from the config's (found vs needed)
     */
    public static T5EncoderModel load(T5Config config, WeightSource weights, NDManager parent, DataType dtype)
            throws IOException {
        EncoderSupport.checkDtype(dtype);
        T5Network network = new T5Network(config);
        boolean onlyTiedCopy = !weights.contains(SHARED) && weights.contains(EMBED_TOKENS);
        Map<String, String> tensorNames = onlyTiedCopy ? Map.of(SHARED, EMBED_TOKENS) : Map.of();
        NDManager manager = EncoderSupport.loadFrozen("T5 encoder", network, T5Network.shapes(config), tensorNames,
                onlyTiedCopy ? Set.of() : Set.of(EMBED_TOKENS), weights, parent,
                name -> name.endsWith(".DenseReluDense.wo.weight") ? DataType.FLOAT32 : dtype);
        T5EncoderModel model = new T5EncoderModel(config, network, manager, dtype);
        LOG.debug("loaded a T5 encoder: {} blocks, width {}, {} parameters, {}", config.numLayers(), config.dModel(),
                model.parameterCount(), dtype);
        return model;
    }

    /**
     * Encodes token ids (padded rows, no attention mask). Each block's intermediates are freed
     * when it ends.
     *
     * @param inputIds (B, T) integer token ids; not modified, any manager and device
     * @param manager owns the returned array
     * @return the last hidden state (B, T, D), FLOAT32, on the model's device
     * @throws IllegalArgumentException when the ids are not (B, T) integers inside the vocabulary
     */
    public NDArray encode(NDArray inputIds, NDManager manager) {
        try (NDManager scope = this.manager.newSubManager()) {
            NDArray ids = EncoderSupport.tokenIds(inputIds, scope, config.vocabSize(), Integer.MAX_VALUE);
            return EncoderSupport.float32To(network.forward(ids), manager);
        }
    }

    /** @return the module tree, for tests */
    T5Network network() {
        return network;
    }




}
