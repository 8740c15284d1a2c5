package io.diffrl4j.models.nn.kernel;

import java.util.Objects;

/**
 * A TorchScript kernel could not be built, loaded or run. The message always names the kernel.
 */
public class KernelException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final String kernelName;

    /**
     * Constructs the exception.
     *
     * @param kernelName the kernel (TorchScript class) name
     * @param message what went wrong
     * @param cause the underlying error, may be {@code null}
     */
    public KernelException(String kernelName, String message, Throwable cause) {
        super("kernel " + Objects.requireNonNull(kernelName, "kernelName") + ": " + message,
                cause);
        this.kernelName = kernelName;
    }

    /**
     * Returns the kernel name.
     *
     * @return the TorchScript class name of the kernel
     */
    public String kernelName() {
        return kernelName;
    }
}
