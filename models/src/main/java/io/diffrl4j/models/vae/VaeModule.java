package io.diffrl4j.models.vae;

import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.models.nn.ModuleBlock;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A {@link ModuleBlock} that also records the shape each of its parameters must have, so that a
 * checkpoint can be checked against the config before anything is read.
 */
abstract class VaeModule extends ModuleBlock {
    private final Map<String, Shape> shapes = new LinkedHashMap<>();

    /** Registers a parameter under its reference name with the shape the config gives it. */
    protected Parameter parameter(String name, Shape shape) {
        shapes.put(name, shape);
        return parameter(name);
    }

    /** @return every parameter's needed shape by its dotted reference path (linear layers included) */
    Map<String, Shape> namedShapes() {
        Map<String, Shape> out = new LinkedHashMap<>();
        visitModules((path, block) -> {
            String prefix = path.isEmpty() ? "" : path + ".";
            if (block instanceof VaeModule) {
                ((VaeModule) block).shapes.forEach((name, shape) -> out.put(prefix + name, shape));
            } else if (block instanceof LoraLinear) {
                // The VAE's linear layers (attention projections) all carry a bias.
                LoraLinear l = (LoraLinear) block;
                out.put(prefix + "weight", new Shape(l.outFeatures(), l.inFeatures()));
                out.put(prefix + "bias", new Shape(l.outFeatures()));
            }
        });
        return out;
    }
}
