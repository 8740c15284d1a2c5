package io.diffrl4j.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.benchmarks.support.GradMode;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Scaled-dot-product attention with SD3.5-Medium's heads (24 of width 64), fp32: the fused
 * TorchScript {@code scaled_dot_product_attention} kernel against attention composed of DJL ops
 * (matMul, scale, softmax, matMul). Token counts: 256 (256 px image), 1024 (512 px image tokens:
 * SD3.5's image-only {@code attn2}), 1357 (512 px image + 333 text tokens: the joint attention).
 * {@link #forward} without autograd, {@link #forwardBackward} with gradients to q, k and v.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class AttentionBenchmark {
    /** SD3.5-Medium's heads. */
    static final int HEADS = 24;
    /** SD3.5-Medium's head width. */
    static final int HEAD_DIM = 64;

    /** Tokens per sequence. */
    @Param({"256", "1024", "1357"})
    public int tokens;

    /** {@code fused} or {@code composed}. */
    @Param({"fused", "composed"})
    public String backend;

    /** Sequences per call. */
    @Param({"1"})
    public int batch;

    private NDManager root;
    private AttentionBackend attention;
    private NDArray q;
    private NDArray k;
    private NDArray v;

    /** Draws q, k, v (B, 24, T, 64) with gradients enabled. */
    @Setup(Level.Trial)
    public void setUp() {
        GradMode.offForThisThread();
        root = NDManager.newBaseManager();
        attention = MmditBenchmark.backend(backend);
        SeededNoise rng = new SeededNoise(4);
        Shape s = new Shape(batch, HEADS, tokens, HEAD_DIM);
        q = rng.normal(root, s);
        k = rng.normal(root, s);
        v = rng.normal(root, s);
        q.setRequiresGradient(true);
        k.setRequiresGradient(true);
        v.setRequiresGradient(true);
    }

    /** Grad mode is thread-local in libtorch: make sure this iteration's thread does not record graphs. */
    @Setup(Level.Iteration)
    public void gradModeOff() {
        GradMode.offForThisThread();
    }

    /** Frees the arrays. */
    @TearDown(Level.Trial)
    public void tearDown() {
        root.close();
    }

    /** @return one output value */
    @Benchmark
    public float forward() {
        try (NDManager step = root.newSubManager()) {
            step.tempAttachAll(q, k, v);
            return attention.attend(q, k, v).getFloat(0, 0, 0, 0);
        }
    }

    /** @return one output value; q, k and v gradients accumulate across calls */
    @Benchmark
    public float forwardBackward() {
        try (NDManager step = root.newSubManager()) {
            step.tempAttachAll(q, k, v);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray out = attention.attend(q, k, v);
                collector.backward(out.sum());
                return out.getFloat(0, 0, 0, 0);
            }
        }
    }
}
