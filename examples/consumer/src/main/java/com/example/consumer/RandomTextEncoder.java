package com.example.consumer;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.TextEncoder;
import java.util.List;

/**
 * Stands in for SD3's CLIP and T5 encoders so the example needs no weights: each prompt gets a
 * fixed random token sequence and pooled vector, seeded by its text (so equal prompts condition
 * the model equally, different prompts differently); the unconditional embedding is zero. A real
 * program uses {@code Sd3PromptEncoder} instead.
 */
public final class RandomTextEncoder implements TextEncoder {
    private final int tokens;
    private final int tokenDim;
    private final int pooledDim;

    /**
     * @param tokens T, tokens per prompt
     * @param tokenDim D, the model's joint attention width
     * @param pooledDim P, the model's pooled projection width
     */
    public RandomTextEncoder(int tokens, int tokenDim, int pooledDim) {
        this.tokens = tokens;
        this.tokenDim = tokenDim;
        this.pooledDim = pooledDim;
    }

    @Override
    public Conditioning encode(List<String> prompts, NDManager manager) {
        int b = prompts.size();
        float[] sequence = new float[b * tokens * tokenDim];
        float[] pooled = new float[b * pooledDim];
        for (int i = 0; i < b; i++) {
            // String.hashCode is specified by the JDK, so the embedding is the same on every run.
            SeededNoise rng = new SeededNoise(prompts.get(i).hashCode());
            for (int k = 0; k < tokens * tokenDim; k++) {
                sequence[i * tokens * tokenDim + k] = (float) rng.nextGaussian();
            }
            for (int k = 0; k < pooledDim; k++) {
                pooled[i * pooledDim + k] = (float) rng.nextGaussian();
            }
        }
        return Conditioning.of(manager.create(sequence, new Shape(b, tokens, tokenDim)),
                manager.create(pooled, new Shape(b, pooledDim)));
    }

    @Override
    public Conditioning unconditional(int batch, NDManager manager) {
        return Conditioning.of(manager.zeros(new Shape(batch, tokens, tokenDim)), manager.zeros(new Shape(batch, pooledDim)));
    }
}
