package io.diffrl4j.models.nn.kernel;

import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.nn.Block;
import ai.djl.training.ParameterStore;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A loaded TorchScript kernel: a parameterless module whose {@code forward} takes tensors and
 * returns one tensor. Obtained from {@link KernelRegistry#get(KernelSpec)}; thread-safe.
 *
 * <p>{@link #apply(NDArray...)} runs {@code forward} in DJL's training mode, so that autograd
 * records it whenever gradients are being collected ({@code Engine#newGradientCollector}):
 * gradients flow back to every input. Outside a collector it costs nothing extra.
 */
public final class TorchKernel {

    /*
     * DJL's PyTorch engine interprets input names: "a.b" builds a Dict input, "x[]" a List,
     * "x()" a Tuple and "module_method:m" selects the method. Arrays carrying such names (e.g.
     * weights named after checkpoint keys) are passed as unnamed views instead.
     */
    private static final Pattern LIST_OR_TUPLE = Pattern.compile("\\w+(\\[]|\\(\\))");

    private final String name;
    private final Model model;
    private final Block block;
    private final ParameterStore parameterStore;
    private volatile boolean closed;

    TorchKernel(String name, Model model) {
        this.name = Objects.requireNonNull(name, "name");
        this.model = Objects.requireNonNull(model, "model");
        this.block = Objects.requireNonNull(model.getBlock(), "block");
        this.parameterStore = new ParameterStore(model.getNDManager(), false);
    }

    /**
     * Returns the kernel's TorchScript class name.
     *
     * @return the name
     */
    public String name() {
        return name;
    }

    /**
     * Runs the kernel's {@code forward}. The result belongs to the first input's manager; no
     * other native handle outlives the call.
     *
     * @param inputs the tensor arguments of {@code forward}, in order
     * @return the single output tensor
     * @throws KernelException if the kernel fails (wrong shapes, dtypes...) or was closed
     */
    public NDArray apply(NDArray... inputs) {
        if (inputs.length == 0) {
            throw new IllegalArgumentException("kernel " + name + " needs at least one input");
        }
        if (closed) {
            throw new KernelException(name, "used after its registry was closed", null);
        }
        NDManager owner = inputs[0].getManager();
        NDArray[] args = new NDArray[inputs.length];
        try {
            for (int i = 0; i < inputs.length; i++) {
                NDArray x = Objects.requireNonNull(inputs[i], "input " + i);
                args[i] = needsAlias(x.getName()) ? x.reshape(x.getShape()) : x;
            }
            NDList out;
            try {
                out = block.forward(parameterStore, new NDList(args), true);
            } catch (RuntimeException e) {
                throw new KernelException(name, "forward failed: " + e.getMessage(), e);
            }
            if (out.size() != 1) {
                out.close();
                throw new KernelException(name,
                        "expected 1 output, got " + out.size(), null);
            }
            NDArray result = out.get(0);
            if (result.getManager() != owner) {
                result.attach(owner);
            }
            return result;
        } finally {
            for (int i = 0; i < args.length; i++) {
                if (args[i] != null && args[i] != inputs[i]) {
                    args[i].close();
                }
            }
        }
    }

    static boolean needsAlias(String arrayName) {
        return arrayName != null
                && (arrayName.indexOf('.') >= 0
                        || arrayName.startsWith("module_method:")
                        || LIST_OR_TUPLE.matcher(arrayName).matches());
    }

    void close() {
        closed = true;
        model.close();
    }

    /** {@inheritDoc} */
    @Override
    public String toString() {
        return "TorchKernel[" + name + "]";
    }
}
