package io.diffrl4j.benchmarks.support;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.models.mmdit.MmditConfig;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;

/**
 * Stable Diffusion 3.5 Medium's transformer shape with fewer blocks, for machines that cannot
 * hold or time all 24: the real {@code config.json} (shipped as the resource {@value #RESOURCE},
 * the values of {@code docs/SD35.md}) with {@code num_layers} reduced and the dual-attention blocks
 * kept in proportion (the first {@code round(13 L / 24)} blocks, as the full model's 13 of 24 lead),
 * so that a reduced model still has every block kind: dual attention, plain joint attention, and the
 * context-pre-only last block. Every other number (width 1536, 24 heads of 64, 16 latent channels,
 * patch 2, text width 4096, pooled 2048, QK RMS norm, the 384 x 384 position grid) is the real one.
 */
public final class Sd35mShaped {
    /** The shipped copy of the real transformer config. */
    public static final String RESOURCE = "/io/diffrl4j/benchmarks/sd35m/transformer_config.json";
    /** Blocks of the real model. */
    public static final int FULL_LAYERS = 24;
    /** Text tokens of an SD3.5 prompt: 77 CLIP + 256 T5. */
    public static final int TEXT_TOKENS = 333;
    /** Latent side at 512 px (VAE factor 8). */
    public static final int LATENT_512 = 64;

    private Sd35mShaped() {}

    /** @return the real SD3.5-Medium transformer config, read from the shipped JSON */
    public static MmditConfig full() {
        return MmditConfig.fromJson(json());
    }

    /**
     * @param layers blocks to keep, 1 to 24
     * @return the real config with {@code layers} blocks and proportionally fewer dual-attention blocks
     */
    public static MmditConfig reduced(int layers) {
        if (layers < 1 || layers > FULL_LAYERS) {
            throw new IllegalArgumentException("layers must be in [1, 24], got " + layers);
        }
        ObjectNode n = json();
        int fullDual = n.get("dual_attention_layers").size();
        int dual = layers == FULL_LAYERS ? fullDual : (int) Math.round((double) fullDual * layers / FULL_LAYERS);
        n.put("num_layers", layers);
        ArrayNode d = n.putArray("dual_attention_layers");
        for (int i = 0; i < dual; i++) {
            d.add(i);
        }
        return MmditConfig.fromJson(n);
    }

    /**
     * @param layers blocks kept
     * @return the sentence every output that uses the reduced model prints
     */
    public static String describe(int layers) {
        MmditConfig c = reduced(layers);
        return "SD3.5-Medium transformer config (width " + c.innerDim() + ", " + c.numAttentionHeads() + " heads of "
                + c.attentionHeadDim() + ", text " + c.jointAttentionDim() + ", pooled " + c.pooledProjectionDim()
                + ", QK RMS norm) with random weights and " + layers + " of its " + FULL_LAYERS + " blocks (dual attention in "
                + c.dualAttentionLayers().size() + " of them, the real model has 13)";
    }

    private static ObjectNode json() {
        try (InputStream in = Sd35mShaped.class.getResourceAsStream(RESOURCE)) {
            if (in == null) {
                throw new IllegalStateException("missing resource " + RESOURCE);
            }
            return (ObjectNode) Json.MAPPER.readTree(in);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
