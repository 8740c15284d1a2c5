package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.nn.convolutional.Conv2d;
import io.diffrl4j.models.nn.ModuleBlock;

/**
 * transformers' {@code CLIPVisionEmbeddings}: non-overlapping patches by a bias-free convolution,
 * a learned class token in front, and learned absolute position embeddings.
 */
final class ClipVisionEmbeddings extends ModuleBlock {
    private final ClipVisionConfig config;
    private final Parameter classEmbedding;
    private final Parameter patchWeight;
    private final EmbeddingTable positionEmbedding;

    ClipVisionEmbeddings(ClipVisionConfig config) {
        this.config = config;
        classEmbedding = parameter("class_embedding");
        patchWeight = parameter("patch_embedding.weight");
        positionEmbedding = module("position_embedding", new EmbeddingTable());
    }

    /**
     * @param pixels (B, C, S, S) in the weights' type, S = {@code image_size}
     * @return (B, 1 + N, D): the class token then the N patches row by row, positions added, in
     *     pixels' manager
     */
    NDArray forward(NDArray pixels) {
        NDManager owner = pixels.getManager();
        long b = pixels.getShape().get(0);
        long d = config.hiddenSize();
        int p = config.patchSize();
        NDArray patches = Conv2d.conv2d(pixels, value(patchWeight), null, new Shape(p, p), new Shape(0, 0),
                new Shape(1, 1), 1).singletonOrThrow();
        patches = patches.reshape(b, d, -1).transpose(0, 2, 1);
        // Taken into pixels' manager: ops on a weight would leave their results in the model's.
        NDArray cls = value(classEmbedding).get(owner, new NDIndex(":")).reshape(1, 1, d).broadcast(new Shape(b, 1, d));
        NDArray tokens = NDArrays.concat(new NDList(cls, patches), 1);
        return tokens.add(positionEmbedding.firstRows(owner, config.numPositions()));
    }
}
