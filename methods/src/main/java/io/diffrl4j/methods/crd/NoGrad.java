package io.diffrl4j.methods.crd;

import io.diffrl4j.core.train.GradMode;
import java.util.function.Supplier;

/**
 * Runs a computation with autograd recording switched off (PyTorch's {@code no_grad}), inside an
 * open gradient collector, so that a forward pass whose result is only read on the host (CRD's
 * group mean) keeps no activations for a backward pass that will never come. The switch is the
 * trainer's {@link GradMode}; the thread's previous mode is restored even when the computation
 * throws.
 */
final class NoGrad {
    private NoGrad() {}

    /**
     * @param computation what to run
     * @param <T> its result
     * @return its result, computed without recording a graph where the engine allows it
     */
    static <T> T run(Supplier<T> computation) {
        return GradMode.<T, RuntimeException>off(computation::get);
    }
}
