package io.diffrl4j.models.mmdit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.RmsNorm;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import io.diffrl4j.models.nn.kernel.TorchKernels;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightChecks;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;

/**
 * An {@link Mmdit} as a flow model with LoRA adapters: {@code velocity(x, sigma, c)} feeds the
 * transformer {@code timestep = 1000 * sigma}, {@code c.sequence()} and {@code c.pooled()}. The base
 * weights are frozen; LoRA sets live in {@link #adapters()}. With a FLOAT16 base (mixed precision)
 * inputs are cast to half on the way in and the velocity back to fp32 on the way out; adapters,
 * their gradients and the optimizer state stay fp32.
 *
 * <p>Owns one manager for the base weights and the adapters (created under the parent passed to a
 * factory, which decides the device); {@link #close()} frees everything.
 */
public final class MmditModel implements AdaptedFlowModel {
    /** Keys diffusers stores that are not parameters here (the positional table is recomputed). */
    private static final Set<String> DERIVED_KEYS = Set.of("pos_embed.pos_embed");

    private final Mmdit transformer;
    private final NDManager manager;
    private final Adapters adapters;
    private final DataType dtype;

    private MmditModel(Mmdit transformer, NDManager manager, LoraConfig lora, DataType dtype) {
        this.transformer = transformer;
        this.manager = manager;
        this.dtype = dtype;
        Map<String, long[]> shapes = new LinkedHashMap<>();
        List<Map.Entry<String, LoraLinear>> targets = new ArrayList<>();
        transformer.visitModules((path, block) -> {
            if (block instanceof LoraLinear && lora.targets(path)) {
                LoraLinear l = (LoraLinear) block;
                shapes.put(path, new long[] {l.inFeatures(), l.outFeatures()});
                targets.add(Map.entry(path, l));
            }
        });
        this.adapters = new Adapters(lora, shapes, manager);
        targets.forEach(e -> e.getValue().attachAdapters(adapters, e.getKey()));
        transformer.setAttentionBackend(AttentionBackend.auto());
    }

    /**
     * Loads base weights by their diffusers names.
     *
     * @param config the architecture
     * @param lora where adapters go
     * @param weights a checkpoint in diffusers layout (see {@code WeightSources.open})
     * @param parent the manager the model's manager is created under
     * @param dtype FLOAT32, or FLOAT16 for a half-precision base
     * @return the model, adapters disabled and no set created
     * @throws IOException when a tensor cannot be read
     * @throws IllegalArgumentException when names or shapes do not match the config
     */
    public static MmditModel load(MmditConfig config, LoraConfig lora, WeightSource weights, NDManager parent, DataType dtype)
            throws IOException {
        checkDtype(dtype);
        Mmdit transformer = new Mmdit(config);
        Map<String, Parameter> params = transformer.namedParameters();
        WeightChecks.checkNames("transformer", params.keySet(), weights.names(), DERIVED_KEYS);
        NDManager manager = parent.newSubManager();
        try {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                NDArray a = weights.read(e.getKey(), manager, dtype);
                set(e.getKey(), e.getValue(), a, expectedShape(transformer, e.getKey()));
            }
            return new MmditModel(transformer, manager, lora, dtype);
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * A randomly initialised model (PyTorch's default uniform init of linear and convolution
     * layers, unit RMS-norm scales), for tests, benchmarks and pretraining from scratch.
     *
     * @param config the architecture
     * @param lora where adapters go
     * @param parent the manager the model's manager is created under
     * @param seed the init seed
     * @return the model, adapters disabled and no set created
     */
    public static MmditModel random(MmditConfig config, LoraConfig lora, NDManager parent, long seed) {
        return random(config, lora, parent, seed, DataType.FLOAT32);
    }

    /**
     * A randomly initialised model whose frozen base is held in {@code dtype} (FLOAT16 for mixed
     * precision: the base runs in half precision, adapters and optimizer state stay fp32).
     *
     * @param config the architecture
     * @param lora where adapters go
     * @param parent the manager the model's manager is created under
     * @param seed the init seed
     * @param dtype FLOAT32 or FLOAT16
     * @return the model, adapters disabled and no set created
     */
    public static MmditModel random(MmditConfig config, LoraConfig lora, NDManager parent, long seed, DataType dtype) {
        checkDtype(dtype);
        Mmdit transformer = new Mmdit(config);
        NDManager manager = parent.newSubManager();
        SeededNoise rng = new SeededNoise(seed);
        Map<String, Long> fanIn = fanIns(transformer);
        for (Map.Entry<String, Parameter> e : transformer.namedParameters().entrySet()) {
            Shape shape = expectedShape(transformer, e.getKey());
            NDArray a;
            if (isNormScale(transformer, e.getKey())) {
                a = manager.ones(shape);
            } else {
                double bound = 1 / Math.sqrt(fanIn.get(e.getKey()));
                a = rng.uniform(manager, shape, -bound, bound);
            }
            set(e.getKey(), e.getValue(), dtype == DataType.FLOAT32 ? a : a.toType(dtype, false), shape);
        }
        return new MmditModel(transformer, manager, lora, dtype);
    }

    /** @return the precision of the frozen base: FLOAT32, or FLOAT16 for mixed precision */
    public DataType dtype() {
        return dtype;
    }

    private static void checkDtype(DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("the base model runs in FLOAT32 or FLOAT16, not " + dtype);
        }
    }

    /** @return the transformer block */
    public Mmdit transformer() {
        return transformer;
    }

    /** @return the architecture */
    public MmditConfig config() {
        return transformer.config();
    }

    @Override
    public Adapters adapters() {
        return adapters;
    }

    /** @param backend the attention implementation to use from now on */
    public void setAttentionBackend(AttentionBackend backend) {
        transformer.setAttentionBackend(backend);
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning) {
        if (conditioning.sequence() == null || conditioning.pooled() == null) {
            throw new IllegalArgumentException("an MMDiT needs both a token sequence and a pooled text embedding");
        }
        if (conditioning.batchSize() != x.getShape().get(0)) {
            throw new IllegalArgumentException("conditioning batch " + conditioning.batchSize() + " != latent batch "
                    + x.getShape().get(0));
        }
        // The text stream's intermediates belong to the manager of their first operand. Without
        // this they would pile up in the conditioning's manager, which often lives for a whole
        // rollout (no CFG concatenation per step) or epoch; with it they go with x's.
        NDManager owner = x.getManager();
        NDArray sequence = ownedBy(conditioning.sequence(), owner);
        NDArray pooled = ownedBy(conditioning.pooled(), owner);
        NDArray timestep = ownedBy(sigma, owner).mul(1000f);
        if (dtype == DataType.FLOAT32) {
            return transformer.forward(x, timestep, sequence, pooled);
        }
        // Mixed precision: the base computes in half, the caller sees fp32 like the adapters.
        NDArray out = transformer.forward(TorchKernels.cast(x, dtype), timestep, TorchKernels.cast(sequence, dtype),
                TorchKernels.cast(pooled, dtype));
        return TorchKernels.cast(out, DataType.FLOAT32);
    }

    /** A view of a (differentiable, no copy) owned by owner, or a itself when it already is. */
    private static NDArray ownedBy(NDArray a, NDManager owner) {
        if (a.getManager() == owner) {
            return a;
        }
        NDArray view = a.reshape(a.getShape());
        view.attach(owner);
        return view;
    }

    /** @return the base weights by diffusers name (views of the model's arrays; do not close) */
    public Map<String, NDArray> baseWeights() {
        Map<String, NDArray> out = new LinkedHashMap<>();
        transformer.namedParameters().forEach((k, p) -> out.put(k, p.getArray()));
        return out;
    }

    /**
     * Writes the base weights as one safetensors file with diffusers' key names, atomically.
     *
     * @param file the destination
     * @throws IOException when writing fails (an existing file is left intact)
     */
    public void saveBase(Path file) throws IOException {
        SafetensorsWriter.save(file, baseWeights(), Map.of("format", "pt"));
    }

    /**
     * Makes the base weights trainable (pretraining, full fine-tuning) or frozen again (the
     * default; RL trains adapters only).
     *
     * @param trainable whether the base arrays take gradients
     * @return the base arrays, named by their diffusers keys
     */
    public java.util.List<NDArray> setBaseTrainable(boolean trainable) {
        java.util.List<NDArray> out = new ArrayList<>();
        for (Parameter p : transformer.namedParameters().values()) {
            p.getArray().setRequiresGradient(trainable);
            out.add(p.getArray());
        }
        return out;
    }

    /** @return the number of base parameters */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : transformer.namedParameters().values()) {
            n += p.getArray().size();
        }
        return n;
    }

    @Override
    public void close() {
        adapters.close();
        manager.close();
    }

    private static void set(String name, Parameter p, NDArray a, Shape expected) {
        WeightChecks.checkShape(name, a.getShape(), expected);
        p.setArray(a);
        p.freeze(true);
        // After setArray, which renames the array to the parameter's short name ("weight").
        a.setName(name);
    }

    private static boolean isNormScale(Mmdit t, String name) {
        return owner(t, name) instanceof RmsNorm;
    }

    private static Object owner(Mmdit t, String name) {
        Object[] found = new Object[1];
        String modulePath = name.substring(0, name.lastIndexOf('.'));
        t.visitModules((path, block) -> {
            if (path.equals(modulePath)) {
                found[0] = block;
            }
        });
        return found[0];
    }

    private static Map<String, Long> fanIns(Mmdit t) {
        Map<String, Long> out = new LinkedHashMap<>();
        t.visitModules((path, block) -> {
            if (block instanceof LoraLinear) {
                out.put(path + ".weight", ((LoraLinear) block).inFeatures());
                out.put(path + ".bias", ((LoraLinear) block).inFeatures());
            }
        });
        MmditConfig c = t.config();
        long patchFanIn = (long) c.inChannels() * c.patchSize() * c.patchSize();
        out.put("pos_embed.proj.weight", patchFanIn);
        out.put("pos_embed.proj.bias", patchFanIn);
        return out;
    }

    static Shape expectedShape(Mmdit t, String name) {
        MmditConfig c = t.config();
        if (name.equals("pos_embed.proj.weight")) {
            return new Shape(c.innerDim(), c.inChannels(), c.patchSize(), c.patchSize());
        }
        if (name.equals("pos_embed.proj.bias")) {
            return new Shape(c.innerDim());
        }
        Object block = owner(t, name);
        if (block instanceof LoraLinear) {
            LoraLinear l = (LoraLinear) block;
            return name.endsWith(".weight") ? new Shape(l.outFeatures(), l.inFeatures()) : new Shape(l.outFeatures());
        }
        if (block instanceof RmsNorm) {
            return new Shape(c.attentionHeadDim());
        }
        throw new IllegalStateException("no shape rule for parameter " + name);
    }
}
