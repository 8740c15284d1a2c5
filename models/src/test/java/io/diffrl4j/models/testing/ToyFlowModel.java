package io.diffrl4j.models.testing;

import io.diffrl4j.core.testing.GaussianVelocityField;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.nn.Activations;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * A trainable flow on R^D small enough to check by hand: the pretrained model is the exact
 * velocity of N(mu, std^2) data ({@link GaussianVelocityField}) plus an MLP residual whose output
 * layer is zero, so the base is exactly Gaussian; LoRA adapters on the three MLP layers let RL
 * move it. Samples are (B, D); the conditioning is ignored (pass {@code Conditioning.none}), except
 * by a {@link #conditioned} model, whose MLP also reads the pooled conditioning (B, 1), so that
 * RL can learn a different correction per prompt.
 */
public final class ToyFlowModel implements AdaptedFlowModel {
    private final GaussianVelocityField base;
    private final Mlp mlp;
    private final NDManager manager;
    private final Adapters adapters;

    private static final class Mlp extends ModuleBlock {
        final LoraLinear in;
        final LoraLinear hidden;
        final LoraLinear out;

        final boolean conditioned;

        Mlp(int dim, int width, boolean conditioned) {
            this.conditioned = conditioned;
            in = module("net.0", new LoraLinear(dim + 1 + (conditioned ? 1 : 0), width, true));
            hidden = module("net.2", new LoraLinear(width, width, true));
            out = module("net.4", new LoraLinear(width, dim, true));
        }

        NDArray forward(NDArray x, NDArray sigma, Conditioning c) {
            NDArray h = conditioned ? NDArrays.concat(new NDList(x, sigma.reshape(-1, 1), c.pooled().reshape(-1, 1)), 1)
                    : NDArrays.concat(new NDList(x, sigma.reshape(-1, 1)), 1);
            h = Activations.silu(in.forward(h));
            h = Activations.silu(hidden.forward(h));
            return out.forward(h);
        }
    }

    /**
     * @param parent owner of the model's manager
     * @param dim D
     * @param mu data mean of the base
     * @param std data std of the base
     * @param rank LoRA rank (alpha = 2 rank)
     * @param seed init seed
     */
    public ToyFlowModel(NDManager parent, int dim, double mu, double std, int rank, long seed) {
        this(parent, dim, new double[] {mu, std}, rank, seed, false);
    }

    /**
     * @param parent owner of the model's manager
     * @param dim D
     * @param rank LoRA rank (alpha = 2 rank)
     * @param seed init seed
     * @return a toy over N(0, I) whose MLP also reads the pooled conditioning, one number per sample
     */
    public static ToyFlowModel conditioned(NDManager parent, int dim, int rank, long seed) {
        return new ToyFlowModel(parent, dim, new double[] {0, 1}, rank, seed, true);
    }

    private ToyFlowModel(NDManager parent, int dim, double[] gaussian, int rank, long seed, boolean conditioned) {
        this.base = new GaussianVelocityField(gaussian[0], gaussian[1]);
        this.mlp = new Mlp(dim, 32, conditioned);
        this.manager = parent.newSubManager();
        SeededNoise rng = new SeededNoise(seed);
        for (Map.Entry<String, Parameter> e : mlp.namedParameters().entrySet()) {
            String name = e.getKey();
            LoraLinear layer = name.startsWith("net.0") ? mlp.in : name.startsWith("net.2") ? mlp.hidden : mlp.out;
            Shape shape = name.endsWith("weight") ? new Shape(layer.outFeatures(), layer.inFeatures()) : new Shape(layer.outFeatures());
            double bound = 1 / Math.sqrt(layer.inFeatures());
            NDArray a = layer == mlp.out ? manager.zeros(shape) : rng.uniform(manager, shape, -bound, bound);
            e.getValue().setArray(a);
            e.getValue().freeze(true);
        }
        Map<String, long[]> shapes = new LinkedHashMap<>();
        shapes.put("net.0", new long[] {dim + 1 + (conditioned ? 1 : 0), 32});
        shapes.put("net.2", new long[] {32, 32});
        shapes.put("net.4", new long[] {32, dim});
        adapters = new Adapters(LoraConfig.builder().optRank(rank).optAlpha(2.0 * rank)
                .optTargetModules(List.of("net.0", "net.2", "net.4")).build(), shapes, manager);
        mlp.in.attachAdapters(adapters, "net.0");
        mlp.hidden.attachAdapters(adapters, "net.2");
        mlp.out.attachAdapters(adapters, "net.4");
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning) {
        return base.velocity(x, sigma, conditioning).add(mlp.forward(x, FlowMatching.broadcastable(sigma, x), conditioning));
    }

    @Override
    public Adapters adapters() {
        return adapters;
    }

    @Override
    public void close() {
        adapters.close();
        manager.close();
    }
}
