package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.types.DataType;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;

/**
 * The conditioning vector of every block (diffusers' {@code CombinedTimestepTextProjEmbeddings}):
 * a 256-channel sinusoidal embedding of the timestep ({@code [cos, sin]}, max period 10000) through
 * a SiLU MLP, plus the pooled text embedding through another. Output (B, D).
 */
public final class TimestepTextEmbedding extends ModuleBlock {
    static final int FREQUENCY_CHANNELS = 256;
    private static final float[] FREQUENCIES = frequencies();

    private final LoraLinear timeIn;
    private final LoraLinear timeOut;
    private final LoraLinear textIn;
    private final LoraLinear textOut;

    TimestepTextEmbedding(MmditConfig config) {
        long d = config.innerDim();
        timeIn = module("timestep_embedder.linear_1", new LoraLinear(FREQUENCY_CHANNELS, d, true));
        timeOut = module("timestep_embedder.linear_2", new LoraLinear(d, d, true));
        textIn = module("text_embedder.linear_1", new LoraLinear(config.pooledProjectionDim(), d, true));
        textOut = module("text_embedder.linear_2", new LoraLinear(d, d, true));
    }

    /**
     * @param timestep (B), SD3 scale {@code 1000 * sigma}
     * @param pooled (B, P)
     * @return (B, D)
     */
    public NDArray forward(NDArray timestep, NDArray pooled) {
        NDArray args = timestep.toType(DataType.FLOAT32, false).expandDims(1)
                .mul(timestep.getManager().create(FREQUENCIES).expandDims(0));
        NDArray frequencies = NDArrays.concat(new NDList(args.cos(), args.sin()), 1);
        NDArray time = timeOut.forward(Activations.silu(timeIn.forward(frequencies.toType(pooled.getDataType(), false))));
        NDArray text = textOut.forward(Activations.silu(textIn.forward(pooled)));
        return time.add(text);
    }

    // Rounded in float32 step by step as diffusers' get_timestep_embedding does: arguments reach
    // 1000 * f, so a last-bit difference in f shows up in the sin/cos.
    private static float[] frequencies() {
        int half = FREQUENCY_CHANNELS / 2;
        float[] f = new float[half];
        float logPeriod = (float) -Math.log(10000);
        for (int k = 0; k < half; k++) {
            f[k] = (float) Math.exp((logPeriod * k) / half);
        }
        return f;
    }
}
