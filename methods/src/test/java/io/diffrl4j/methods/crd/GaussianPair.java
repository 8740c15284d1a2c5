package io.diffrl4j.methods.crd;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.testing.GaussianVelocityField;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * An "adapted" model whose every adapter set is the exact velocity field of its own Gaussian data
 * distribution N(mean, std^2) per element (the adapter arrays are dummies): log-densities, and so
 * the log-ratio of two sets, are known in closed form.
 */
final class GaussianPair implements AdaptedFlowModel {
    private final NDManager manager;
    private final Adapters adapters;
    private final Map<String, Double> means = new HashMap<>();
    private final double baseMean;
    private final double std;

    GaussianPair(NDManager parent, double baseMean, double std) {
        this.manager = parent.newSubManager();
        this.baseMean = baseMean;
        this.std = std;
        this.adapters = new Adapters(LoraConfig.builder().optRank(1).optAlpha(1).optTargetModules(List.of("dummy")).build(),
                Map.of("dummy", new long[] {1, 1}), manager);
    }

    /** Creates set {@code name} if needed and makes it the field of N(mean, std^2). */
    GaussianPair set(String name, double mean) {
        if (!adapters.contains(name)) {
            adapters.create(name, false, new SeededNoise(0));
        }
        means.put(name, mean);
        return this;
    }

    double std() {
        return std;
    }

    @Override
    public NDArray velocity(NDArray x, NDArray sigma, Conditioning conditioning) {
        AdapterSet active = adapters.active();
        double mean = active == null ? baseMean : means.get(active.name());
        return new GaussianVelocityField(mean, std).velocity(x, sigma, conditioning);
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
