package io.diffrl4j.core.train;

import java.lang.reflect.InvocationTargetException;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Makes PyTorch's autograd mode explicit around the trainer's work. The mode is per thread in
 * libtorch, and DJL switches it off only on the thread that first loads the engine: on any other
 * thread it is on, so the in-place writes of a restore, an adapter blend or an optimizer update hit
 * "a leaf Variable that requires grad is being used in an in-place operation", and sampling would
 * record graphs. The trainer therefore runs its restore, sampling and update paths with the mode
 * off, whatever thread calls it; the backward passes inside still get it on from their gradient
 * collector, which restores the outer mode when it closes.
 *
 * <p>DJL's API has no such switch and the engine is only a runtime dependency of core, so the
 * PyTorch engine's public {@code JniUtils.isGradMode/setGradMode} are reached by reflection (looked
 * up once). On another engine the work runs as is, and a debug line says so once. Stateless.
 * Also used for no-grad forward passes whose result is only read on the host (CRD's group means).
 */
public final class GradMode {
    private static final Logger LOG = LoggerFactory.getLogger(GradMode.class);
    private static final Method IS_GRAD_MODE;
    private static final Method SET_GRAD_MODE;

    static {
        Method is = null;
        Method set = null;
        try {
            Class<?> jni = Class.forName("ai.djl.pytorch.jni.JniUtils");
            is = jni.getMethod("isGradMode");
            set = jni.getMethod("setGradMode", boolean.class);
        } catch (ReflectiveOperationException | LinkageError e) {
            LOG.debug("no PyTorch engine on the class path: the trainer leaves the autograd mode as it is", e);
        }
        IS_GRAD_MODE = is;
        SET_GRAD_MODE = set;
    }

    /** Work that may throw a checked exception of one type. */
    @FunctionalInterface
    public interface Work<T, E extends Exception> {
        T run() throws E;
    }

    private GradMode() {}

    /**
     * Runs {@code work} with autograd recording off on the calling thread and restores the
     * thread's previous mode afterwards, also when it throws.
     *
     * @param work what to run
     * @param <T> its result
     * @param <E> what it may throw
     * @return its result
     * @throws E what it threw
     */
    public static <T, E extends Exception> T off(Work<T, E> work) throws E {
        if (IS_GRAD_MODE == null) {
            return work.run();
        }
        boolean before = (Boolean) invoke(IS_GRAD_MODE);
        if (before) {
            invoke(SET_GRAD_MODE, false);
        }
        try {
            return work.run();
        } finally {
            if (before) {
                // Leaving recording off would silently break every later backward pass of this thread.
                invoke(SET_GRAD_MODE, true);
            }
        }
    }

    private static Object invoke(Method m, Object... args) {
        try {
            return m.invoke(null, args);
        } catch (InvocationTargetException e) {
            throw new IllegalStateException("the PyTorch engine could not " + m.getName(), e.getCause());
        } catch (IllegalAccessException e) {
            throw new IllegalStateException("the PyTorch engine's " + m.getName() + " is not accessible", e);
        }
    }
}
