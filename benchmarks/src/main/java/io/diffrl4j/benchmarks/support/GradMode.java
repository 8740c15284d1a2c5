package io.diffrl4j.benchmarks.support;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;

/**
 * Turns libtorch's autograd recording off for the calling thread.
 *
 * <p>Why: libtorch's grad mode is thread-local and on by default; DJL switches it off only on the
 * thread that starts the engine, and a {@code GradientCollector} restores whatever the thread had
 * before. A benchmark harness thread (JMH runs iterations on its own worker threads) would
 * otherwise record graphs in every "no-grad" forward pass, and in-place optimizer updates of
 * trainable arrays fail with "a leaf Variable that requires grad is being used in an in-place
 * operation".
 */
public final class GradMode {
    private GradMode() {}

    /** Starts the engine if needed and disables grad mode on this thread. */
    public static void offForThisThread() {
        Engine.getInstance();
        JniUtils.setGradMode(false);
    }
}
