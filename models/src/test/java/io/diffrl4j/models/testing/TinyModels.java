package io.diffrl4j.models.testing;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import java.util.List;

/** Tiny random SD3.5-family models and conditionings for tests (a few thousand parameters). */
public final class TinyModels {
    private TinyModels() {}

    /** @return 2 blocks (the first with dual attention), width 16, QK RMS norm, 4 latent channels */
    public static MmditConfig config() {
        return MmditConfig.builder().optSampleSize(8).optPatchSize(2).optInChannels(4).optNumLayers(2)
                .optAttentionHeadDim(8).optNumAttentionHeads(2).optJointAttentionDim(12)
                .optCaptionProjectionDim(16).optPooledProjectionDim(10).optOutChannels(4)
                .optPosEmbedMaxSize(8).optDualAttentionLayers(List.of(0)).optQkNorm("rms_norm").build();
    }

    /** @return rank 4, alpha 8 on the attention projections */
    public static LoraConfig lora() {
        return LoraConfig.builder().optRank(4).optAlpha(8).build();
    }

    /** @param parent owner @param seed init seed @return a random tiny MMDiT */
    public static MmditModel mmdit(NDManager parent, long seed) {
        return MmditModel.random(config(), lora(), parent, seed);
    }

    /** @return latent shape of one sample: 4 x 8 x 8 */
    public static Shape latentShape() {
        return new Shape(4, 8, 8);
    }

    /** @param manager owner @param batch B @param seed seed @return 5 text tokens of width 12 and a pooled 10-vector */
    public static Conditioning conditioning(NDManager manager, int batch, long seed) {
        SeededNoise rng = new SeededNoise(seed);
        return Conditioning.of(rng.normal(manager, new Shape(batch, 5, 12)), rng.normal(manager, new Shape(batch, 10)));
    }
}
