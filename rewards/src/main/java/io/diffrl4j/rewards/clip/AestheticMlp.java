package io.diffrl4j.rewards.clip;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.core.Linear;
import io.diffrl4j.core.weights.WeightChecks;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;

/**
 * The LAION improved aesthetic predictor's head ({@code MLP} in christophschuhmann/improved-aesthetic-predictor):
 * {@code nn.Sequential(Linear(in, 1024), Dropout, Linear(1024, 128), Dropout, Linear(128, 64),
 * Dropout, Linear(64, 16), Linear(16, 1))}, no activations (they are commented out in the
 * reference), dropouts the identity at inference. The checkpoint keeps the Sequential's indices:
 * {@code layers.0}, {@code layers.2}, {@code layers.4}, {@code layers.6}, {@code layers.7}, each
 * with {@code weight} and {@code bias}; the input width comes from {@code layers.0.weight} (768 for
 * CLIP ViT-L/14). Weights FLOAT32, frozen; owned by a manager closed with the caller's.
 */
final class AestheticMlp {
    private static final String[] LAYERS = {"layers.0", "layers.2", "layers.4", "layers.6", "layers.7"};
    private static final long[] WIDTHS = {1024, 128, 64, 16, 1};

    private final NDArray[] weights = new NDArray[LAYERS.length];
    private final NDArray[] biases = new NDArray[LAYERS.length];
    private final long inputWidth;

    private AestheticMlp(long inputWidth) {
        this.inputWidth = inputWidth;
    }

    /**
     * @param source the checkpoint
     * @param manager owns the weights
     * @return the head
     * @throws IllegalArgumentException naming missing, unexpected or wrongly shaped tensors
     */
    static AestheticMlp load(WeightSource source, NDManager manager) throws IOException {
        Map<String, Shape> shapes = new LinkedHashMap<>();
        long in = source.contains("layers.0.weight") ? source.info("layers.0.weight").shape().get(1) : 0;
        long width = in;
        for (int i = 0; i < LAYERS.length; i++) {
            shapes.put(LAYERS[i] + ".weight", new Shape(WIDTHS[i], width));
            shapes.put(LAYERS[i] + ".bias", new Shape(WIDTHS[i]));
            width = WIDTHS[i];
        }
        WeightChecks.checkNames("aesthetic MLP", shapes.keySet(), source.names(), Set.of());
        WeightChecks.checkShapes(shapes, source);
        AestheticMlp mlp = new AestheticMlp(in);
        for (int i = 0; i < LAYERS.length; i++) {
            mlp.weights[i] = source.read(LAYERS[i] + ".weight", manager, DataType.FLOAT32);
            mlp.biases[i] = source.read(LAYERS[i] + ".bias", manager, DataType.FLOAT32);
        }
        return mlp;
    }

    /** @return the embedding width it takes */
    long inputWidth() {
        return inputWidth;
    }

    /** @param x (B, in) FLOAT32 on the weights' device @return (B) scores, in x's manager */
    NDArray forward(NDArray x) {
        NDArray y = x;
        for (int i = 0; i < LAYERS.length; i++) {
            y = Linear.linear(y, weights[i], biases[i]).singletonOrThrow();
        }
        return y.reshape(-1);
    }
}
