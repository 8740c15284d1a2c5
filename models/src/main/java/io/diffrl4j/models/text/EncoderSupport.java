package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import io.diffrl4j.models.nn.ModuleBlock;
import io.diffrl4j.core.weights.WeightChecks;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import java.util.function.UnaryOperator;

/** What the CLIP (text, vision) and T5 encoders share: frozen loading, input checks, per-layer memory scoping. */
final class EncoderSupport {
    private EncoderSupport() {}

    /**
     * Checks names and stored shapes of every tensor before reading any, then reads each into a
     * new sub-manager of {@code parent} and binds it, frozen, to its parameter.
     *
     * @param what the model, for messages ("CLIP text model", "T5 encoder")
     * @param net the module tree whose parameters are filled
     * @param shapes parameter path to the shape the config needs, covering every parameter
     * @param tensorNames parameter path to checkpoint name where they differ (tied copies)
     * @param ignored checkpoint names that are not parameters (buffers, the unused tied copy)
     * @param source the checkpoint
     * @param parent the manager the weights' manager is created under
     * @param dtypeOf the type each parameter is read as
     * @return the manager owning the weights
     */
    static NDManager loadFrozen(String what, ModuleBlock net, Map<String, Shape> shapes, Map<String, String> tensorNames,
            Set<String> ignored, WeightSource source, NDManager parent, Function<String, DataType> dtypeOf)
            throws IOException {
        Map<String, Parameter> params = net.namedParameters();
        if (!params.keySet().equals(shapes.keySet())) {
            throw new IllegalStateException(what + ": the shape table does not cover the module's parameters");
        }
        Map<String, Shape> byTensor = new LinkedHashMap<>();
        shapes.forEach((name, shape) -> byTensor.put(tensorNames.getOrDefault(name, name), shape));
        WeightChecks.checkNames(what, byTensor.keySet(), source.names(), ignored);
        WeightChecks.checkShapes(byTensor, source);
        NDManager manager = parent.newSubManager();
        try {
            for (Map.Entry<String, Parameter> e : params.entrySet()) {
                String name = e.getKey();
                NDArray a = source.read(tensorNames.getOrDefault(name, name), manager, dtypeOf.apply(name));
                e.getValue().setArray(a);
                e.getValue().freeze(true);
                // After setArray, which renames the array to the parameter's short name.
                a.setName(name);
            }
            return manager;
        } catch (IOException | RuntimeException e) {
            manager.close();
            throw e;
        }
    }

    /**
     * Validates token ids and copies them, as INT64 on {@code scope}'s device, into {@code scope}.
     *
     * @param inputIds (B, T) integer ids
     * @param scope the owner of the copy
     * @param vocabSize ids must be in [0, vocabSize)
     * @param maxLength T must be at most this
     * @return the ids, INT64, owned by {@code scope}
     */
    static NDArray tokenIds(NDArray inputIds, NDManager scope, long vocabSize, long maxLength) {
        Shape s = inputIds.getShape();
        if (s.dimension() != 2 || s.get(0) < 1 || s.get(1) < 1) {
            throw new IllegalArgumentException("input ids must be (B, T) with B, T >= 1, got " + s);
        }
        if (!inputIds.getDataType().isInteger()) {
            throw new IllegalArgumentException("input ids must be integers, got " + inputIds.getDataType());
        }
        if (s.get(1) > maxLength) {
            throw new IllegalArgumentException("sequence length " + s.get(1) + " exceeds the model's maximum " + maxLength);
        }
        NDArray ids = copyInto(inputIds, scope, DataType.INT64);
        long min = ids.min().getLong();
        long max = ids.max().getLong();
        if (min < 0 || max >= vocabSize) {
            throw new IllegalArgumentException("token id " + (min < 0 ? min : max) + " is outside the vocabulary [0, "
                    + vocabSize + ")");
        }
        return ids;
    }

    /**
     * @param input any array, not modified
     * @param scope the owner of the copy, whose device it is moved to
     * @param type the copy's type
     * @return a copy of {@code input} as {@code type}, owned by {@code scope}
     */
    static NDArray copyInto(NDArray input, NDManager scope, DataType type) {
        // A new handle even on the same device, so that the scope can own it.
        NDArray moved = input.toDevice(scope.getDevice(), true);
        moved.attach(scope);
        return moved.toType(type, false);
    }

    /**
     * Runs one layer in a sub-manager of {@code x}'s manager so that its intermediates are freed
     * when it returns; only the result moves to {@code x}'s manager.
     */
    static NDArray scoped(NDArray x, UnaryOperator<NDArray> layer) {
        NDManager owner = x.getManager();
        try (NDManager local = owner.newSubManager()) {
            NDArray in = x.reshape(x.getShape()); // a view: results of ops on it belong to local
            in.attach(local);
            NDArray out = layer.apply(in);
            out.attach(owner);
            return out;
        }
    }

    /** @return {@code a} as FLOAT32, owned by {@code manager} */
    static NDArray float32To(NDArray a, NDManager manager) {
        NDArray out = a.toType(DataType.FLOAT32, false);
        out.attach(manager);
        return out;
    }

    /** Fails unless {@code dtype} is one the frozen encoders hold weights in. */
    static void checkDtype(DataType dtype) {
        if (dtype != DataType.FLOAT32 && dtype != DataType.FLOAT16) {
            throw new IllegalArgumentException("encoder weights are FLOAT32 or FLOAT16, not " + dtype);
        }
    }

    /** @return the number of parameter elements of {@code net} */
    static long parameterCount(ModuleBlock net) {
        long n = 0;
        for (Parameter p : net.namedParameters().values()) {
            n += p.getArray().size();
        }
        return n;
    }
}
