package io.diffrl4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.SeededNoise;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Supplier;

/**
 * The named LoRA parameter sets of one model, over ONE frozen base in memory (docs/ALGORITHMS.md section
 * 8). The model's adapted layers read the weights of the {@linkplain #active() active} set; with
 * no active set ({@link #disable()}) the model is the pretrained base.
 *
 * <p>Owns a manager for all sets' arrays; {@link #close()} frees them. Activation is model state:
 * use it from one thread (the training thread).
 */
public final class Adapters implements AutoCloseable {
    private final LoraConfig config;
    private final Map<String, long[]> moduleShapes;
    private final NDManager manager;
    private final Map<String, AdapterSet> sets = new LinkedHashMap<>();
    private AdapterSet active;

    /**
     * @param config rank, alpha and targets
     * @param moduleShapes for every adapted module path, {in, out} features, in model order
     * @param parent the manager the registry's own manager is created under (sets the device)
     */
    public Adapters(LoraConfig config, Map<String, long[]> moduleShapes, NDManager parent) {
        if (moduleShapes.isEmpty()) {
            throw new IllegalArgumentException("no module of the model matches the LoRA targets " + config.targetModules());
        }
        this.config = config;
        this.moduleShapes = Collections.unmodifiableMap(new LinkedHashMap<>(moduleShapes));
        this.manager = parent.newSubManager();
    }

    /** @return the LoRA configuration */
    public LoraConfig config() {
        return config;
    }

    /** @return the device the adapter arrays live on */
    public ai.djl.Device device() {
        return manager.getDevice();
    }

    /** @return adapted module path to {in, out} features, in model order */
    public Map<String, long[]> moduleShapes() {
        return moduleShapes;
    }

    /**
     * Creates a set with Gaussian A (std {@code 1/r}) and zero B, so it leaves the model unchanged.
     *
     * @param name a new name
     * @param trainable whether the arrays take gradients
     * @param rng the seeded source of A
     * @return the new set
     */
    public AdapterSet create(String name, boolean trainable, SeededNoise rng) {
        checkNew(name);
        Map<String, LoraWeights> weights = new LinkedHashMap<>();
        int r = config.rank();
        for (Map.Entry<String, long[]> e : moduleShapes.entrySet()) {
            long in = e.getValue()[0];
            long out = e.getValue()[1];
            NDArray a = rng.normal(manager, new Shape(r, in)).muli(config.initStd());
            NDArray b = manager.zeros(new Shape(out, r), DataType.FLOAT32);
            weights.put(e.getKey(), new LoraWeights(prepare(a, name, e.getKey(), "lora_A", trainable),
                    prepare(b, name, e.getKey(), "lora_B", trainable)));
        }
        return register(new AdapterSet(name, weights, trainable));
    }

    /**
     * @param name a new name
     * @param source the set to copy
     * @param trainable whether the copy takes gradients
     * @return a new set holding a copy of {@code source}'s weights
     */
    public AdapterSet copyOf(String name, AdapterSet source, boolean trainable) {
        checkNew(name);
        Map<String, LoraWeights> weights = new LinkedHashMap<>();
        for (String module : source.modules()) {
            LoraWeights w = source.get(module);
            weights.put(module, new LoraWeights(
                    prepare(w.down().duplicate(), name, module, "lora_A", trainable),
                    prepare(w.up().duplicate(), name, module, "lora_B", trainable)));
        }
        return register(new AdapterSet(name, weights, trainable));
    }

    /**
     * Adds a set from arrays (e.g. read from a file); they are copied into the registry.
     *
     * @param name a new name
     * @param weights module path to weights; must cover exactly the adapted modules with the
     *     right shapes
     * @param trainable whether the set takes gradients
     * @return the new set
     */
    public AdapterSet adopt(String name, Map<String, LoraWeights> weights, boolean trainable) {
        checkNew(name);
        if (!weights.keySet().equals(moduleShapes.keySet())) {
            Set<String> missing = new java.util.TreeSet<>(moduleShapes.keySet());
            missing.removeAll(weights.keySet());
            Set<String> extra = new java.util.TreeSet<>(weights.keySet());
            extra.removeAll(moduleShapes.keySet());
            throw new IllegalArgumentException("adapter '" + name + "' does not match the model: missing modules "
                    + missing + ", unexpected modules " + extra);
        }
        Map<String, LoraWeights> copied = new LinkedHashMap<>();
        for (Map.Entry<String, long[]> e : moduleShapes.entrySet()) {
            LoraWeights w = weights.get(e.getKey());
            Shape wantA = new Shape(config.rank(), e.getValue()[0]);
            Shape wantB = new Shape(e.getValue()[1], config.rank());
            if (!w.down().getShape().equals(wantA) || !w.up().getShape().equals(wantB)) {
                throw new IllegalArgumentException("adapter '" + name + "' module " + e.getKey() + ": expected A "
                        + wantA + " and B " + wantB + ", got " + w.down().getShape() + " and " + w.up().getShape());
            }
            NDArray a = w.down().toType(DataType.FLOAT32, true);
            NDArray b = w.up().toType(DataType.FLOAT32, true);
            a.attach(manager);
            b.attach(manager);
            copied.put(e.getKey(), new LoraWeights(prepare(a, name, e.getKey(), "lora_A", trainable),
                    prepare(b, name, e.getKey(), "lora_B", trainable)));
        }
        return register(new AdapterSet(name, copied, trainable));
    }

    /** @param name a set name @return the set @throws IllegalArgumentException if absent */
    public AdapterSet get(String name) {
        AdapterSet s = sets.get(name);
        if (s == null) {
            throw new IllegalArgumentException("no adapter set named '" + name + "'; have " + sets.keySet());
        }
        return s;
    }

    /** @param name a set name @return true when it exists */
    public boolean contains(String name) {
        return sets.containsKey(name);
    }

    /** @return the names of all sets, in creation order */
    public Set<String> names() {
        return Collections.unmodifiableSet(sets.keySet());
    }

    /** Removes a set and frees its arrays; if it was active, the model reverts to the base. */
    public void remove(String name) {
        AdapterSet s = get(name);
        if (active == s) {
            active = null;
        }
        sets.remove(name);
        s.parameters().forEach(NDArray::close);
    }

    /** @param name the set the model uses from now on */
    public void use(String name) {
        active = get(name);
    }

    /** The model runs as the pretrained base until {@link #use} is called. */
    public void disable() {
        active = null;
    }

    /** @return the active set, or null when adapters are disabled */
    public AdapterSet active() {
        return active;
    }

    /**
     * Runs {@code body} with set {@code name} active (null: the base), then restores the previous
     * state, also on exceptions.
     */
    public <T> T with(String name, Supplier<T> body) {
        AdapterSet previous = active;
        active = name == null ? null : get(name);
        try {
            return body.get();
        } finally {
            active = previous;
        }
    }

    /**
     * @param module a module path
     * @return the active set's weights for that module, or null (disabled, or not adapted)
     */
    public LoraWeights activeWeights(String module) {
        return active == null ? null : active.get(module);
    }

    @Override
    public void close() {
        sets.clear();
        active = null;
        manager.close();
    }

    private NDArray prepare(NDArray array, String set, String module, String factor, boolean trainable) {
        array.setName(set + ":" + module + "." + factor);
        if (trainable) {
            array.setRequiresGradient(true);
        }
        return array;
    }

    private void checkNew(String name) {
        if (name == null || name.isBlank()) {
            throw new IllegalArgumentException("adapter set name must not be blank");
        }
        if (sets.containsKey(name)) {
            throw new IllegalArgumentException("adapter set '" + name + "' already exists");
        }
    }

    private AdapterSet register(AdapterSet set) {
        sets.put(set.name(), set);
        return set;
    }
}
