package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.ParameterStore;
import ai.djl.util.PairList;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import java.util.ArrayList;
import java.util.List;

/**
 * The SD3 multimodal diffusion transformer as a DJL block (diffusers' {@code
 * SD3Transformer2DModel}): patch embedding with cropped 2D sin-cos positions, timestep plus pooled
 * text conditioning, a text projection, {@code num_layers} joint blocks, a continuous adaLN and a
 * linear head, then unpatchify.
 *
 * <p>DJL-style call: {@code forward(ps, [latents (B,C,H,W), timestep (B), text (B,T,Dj), pooled
 * (B,P)], training)} gives {@code [(B, C_out, H, W)]}. Parameter paths are diffusers' keys.
 */
public final class Mmdit extends ModuleBlock {
    private final MmditConfig config;
    private final PatchEmbedding posEmbed;
    private final TimestepTextEmbedding timeTextEmbed;
    private final LoraLinear contextEmbedder;
    private final List<JointTransformerBlock> blocks = new ArrayList<>();
    private final AdaLayerNorm normOut;
    private final LoraLinear projOut;

    /** @param config the architecture */
    public Mmdit(MmditConfig config) {
        this.config = config;
        long d = config.innerDim();
        posEmbed = module("pos_embed", new PatchEmbedding(config));
        timeTextEmbed = module("time_text_embed", new TimestepTextEmbedding(config));
        contextEmbedder = module("context_embedder", new LoraLinear(config.jointAttentionDim(), config.captionProjectionDim(), true));
        if (config.captionProjectionDim() != d) {
            throw new IllegalArgumentException("caption_projection_dim " + config.captionProjectionDim()
                    + " must equal attention_head_dim x num_attention_heads = " + d);
        }
        for (int i = 0; i < config.numLayers(); i++) {
            blocks.add(module("transformer_blocks." + i, new JointTransformerBlock(
                    config, config.dualAttentionLayers().contains(i), i == config.numLayers() - 1)));
        }
        normOut = module("norm_out", new AdaLayerNorm(d, 2));
        projOut = module("proj_out", new LoraLinear(d, (long) config.patchSize() * config.patchSize() * config.outChannels(), true));
    }

    /** @return the architecture */
    public MmditConfig config() {
        return config;
    }

    /** @param backend the attention implementation every block uses from now on */
    public void setAttentionBackend(AttentionBackend backend) {
        blocks.forEach(b -> b.setBackend(backend));
    }

    /**
     * @param latents (B, C, H, W)
     * @param timestep (B), {@code 1000 * sigma}
     * @param text (B, T, joint_attention_dim)
     * @param pooled (B, pooled_projection_dim)
     * @return the predicted velocity (B, out_channels, H, W), in {@code latents}' manager
     */
    public NDArray forward(NDArray latents, NDArray timestep, NDArray text, NDArray pooled) {
        Shape s = latents.getShape();
        NDArray image = posEmbed.forward(latents);
        NDArray temb = timeTextEmbed.forward(timestep, pooled);
        NDArray context = contextEmbedder.forward(text);
        for (JointTransformerBlock block : blocks) {
            NDList out = block.forward(image, context, temb);
            image = out.get(0);
            context = out.size() > 1 ? out.get(1) : null;
        }
        NDList m = normOut.modulation(temb);
        image = AdaLayerNorm.modulate(AdaLayerNorm.norm(image), m.get(1), m.get(0));
        return unpatchify(projOut.forward(image), s.get(0), s.get(2), s.get(3));
    }

    private NDArray unpatchify(NDArray tokens, long b, long height, long width) {
        int p = config.patchSize();
        long h = height / p;
        long w = width / p;
        return tokens.reshape(b, h, w, p, p, config.outChannels())
                .transpose(0, 5, 1, 3, 2, 4)
                .reshape(b, config.outChannels(), height, width);
    }

    @Override
    protected NDList forwardInternal(
            ParameterStore parameterStore, NDList inputs, boolean training, PairList<String, Object> params) {
        return new NDList(forward(inputs.get(0), inputs.get(1), inputs.get(2), inputs.get(3)));
    }
}
