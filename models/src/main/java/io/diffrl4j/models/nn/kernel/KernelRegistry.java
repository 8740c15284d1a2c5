package io.diffrl4j.models.nn.kernel;

import ai.djl.Device;
import ai.djl.Model;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.stream.Stream;

/**
 * Builds, loads and caches TorchScript kernels: each {@link KernelSpec} is written as an archive
 * into this registry's temporary directory and loaded with DJL's PyTorch engine once, on first
 * use (thread-safe, lazily); later calls return the cached {@link TorchKernel}. A kernel that
 * fails to load fails once: the failure is cached and re-reported, the load is not retried.
 *
 * <p>{@link #global()} is the JVM-wide registry the static helpers ({@link TorchKernels},
 * {@link Kernels}, {@link AttentionBackend}) use. Its directory is deleted when it is closed or,
 * at the latest, when the JVM exits.
 */
public final class KernelRegistry implements AutoCloseable {

    private static final Logger LOG = LoggerFactory.getLogger(KernelRegistry.class);

    /** The DJL engine the kernels run on. */
    public static final String ENGINE = "PyTorch";

    private static final Object GLOBAL_LOCK = new Object();
    private static volatile KernelRegistry global;

    private final Map<String, Slot> slots = new ConcurrentHashMap<>();
    private final Object dirLock = new Object();
    private volatile Path directory;
    private Thread cleanup;
    private volatile boolean closed;

    /** Creates an empty registry; nothing is written or loaded before the first {@link #get}. */
    public KernelRegistry() {}

    /**
     * Returns the JVM-wide registry, creating it on first use (and again after it was closed).
     *
     * @return the shared registry
     */
    public static KernelRegistry global() {
        KernelRegistry r = global;
        if (r == null || r.closed) {
            synchronized (GLOBAL_LOCK) {
                r = global;
                if (r == null || r.closed) {
                    r = new KernelRegistry();
                    global = r;
                }
            }
        }
        return r;
    }

    /**
     * Returns the loaded kernel for a spec, building and loading it on first use.
     *
     * @param spec the kernel definition; a name already used with a different source is an error
     * @return the kernel
     * @throws KernelException if the archive cannot be written or loaded (engine missing,
     *     malformed source...)
     */
    public TorchKernel get(KernelSpec spec) {
        Objects.requireNonNull(spec, "spec");
        if (closed) {
            throw new KernelException(spec.name(), "the kernel registry is closed", null);
        }
        Slot slot = slots.computeIfAbsent(spec.name(), n -> new Slot(spec));
        if (!slot.spec.source().equals(spec.source())) {
            throw new IllegalArgumentException(
                    "kernel " + spec.name() + " is already registered with another source");
        }
        return slot.get(this);
    }

    /**
     * Like {@link #get(KernelSpec)}, but reports a load failure as an empty result.
     *
     * @param spec the kernel definition
     * @return the kernel, or empty if it cannot be loaded
     */
    public Optional<TorchKernel> tryGet(KernelSpec spec) {
        try {
            return Optional.of(get(spec));
        } catch (KernelException e) {
            return Optional.empty();
        }
    }

    /**
     * Returns the directory the archives are written to, or {@code null} before the first load.
     *
     * @return the temporary directory
     */
    public Path directory() {
        return directory;
    }

    /** Closes every loaded kernel and deletes the directory. Idempotent. */
    @Override
    public void close() {
        Thread hook;
        synchronized (dirLock) {
            if (closed) {
                return;
            }
            closed = true;
            hook = cleanup;
            cleanup = null;
        }
        for (Slot slot : slots.values()) {
            slot.close();
        }
        slots.clear();
        if (hook != null) {
            try {
                Runtime.getRuntime().removeShutdownHook(hook);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running or about to run; it deletes the directory itself
            }
        }
        deleteTree(directory);
    }

    private Path ensureDirectory() {
        Path dir = directory;
        if (dir != null) {
            return dir;
        }
        synchronized (dirLock) {
            if (directory == null) {
                try {
                    Path created = Files.createTempDirectory("diffrl4j-kernels-");
                    Thread hook = new Thread(() -> deleteTree(created), "diffrl4j-kernels-cleanup");
                    Runtime.getRuntime().addShutdownHook(hook);
                    cleanup = hook;
                    directory = created;
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return directory;
        }
    }

    private TorchKernel load(KernelSpec spec) {
        String name = spec.name();
        Path file;
        try {
            file = spec.archive().writeTo(ensureDirectory().resolve(name + ".pt"));
        } catch (IOException | UncheckedIOException e) {
            throw new KernelException(name, "cannot write the TorchScript archive: " + e, e);
        }
        Model model;
        try {
            model = Model.newInstance(name, Device.cpu(), ENGINE);
        } catch (RuntimeException | LinkageError e) {
            throw new KernelException(name, "the " + ENGINE + " engine is not available: " + e, e);
        }
        try {
            model.load(file.getParent(), name, Map.of("mapLocation", "true"));
            LOG.debug("loaded TorchScript kernel {} from {}", name, file);
            return new TorchKernel(name, model);
        } catch (Exception | LinkageError e) {
            model.close();
            throw new KernelException(name,
                    "the TorchScript archive " + file + " failed to load: " + e.getMessage(), e);
        }
    }

    private static void deleteTree(Path dir) {
        if (dir == null || !Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            walk.sorted(Comparator.reverseOrder()).forEach(p -> {
                try {
                    Files.deleteIfExists(p);
                } catch (IOException ignored) {
                    // best effort: a temp directory
                }
            });
        } catch (IOException | UncheckedIOException ignored) {
            // best effort
        }
    }

    /** One kernel: loaded lazily, at most once. */
    private static final class Slot {
        final KernelSpec spec;
        private volatile TorchKernel kernel;
        private KernelException failure;

        Slot(KernelSpec spec) {
            this.spec = spec;
        }

        TorchKernel get(KernelRegistry owner) {
            TorchKernel k = kernel;
            return k != null ? k : load(owner);
        }

        private synchronized TorchKernel load(KernelRegistry owner) {
            if (kernel != null) {
                return kernel;
            }
            if (failure != null) {
                throw new KernelException(spec.name(),
                        "failed to load earlier (" + failure.getMessage() + ")", failure);
            }
            if (owner.closed) {
                throw new KernelException(spec.name(), "the kernel registry is closed", null);
            }
            try {
                kernel = owner.load(spec);
                return kernel;
            } catch (KernelException e) {
                failure = e;
                throw e;
            }
        }

        synchronized void close() {
            if (kernel != null) {
                kernel.close();
                kernel = null;
            }
        }
    }
}
