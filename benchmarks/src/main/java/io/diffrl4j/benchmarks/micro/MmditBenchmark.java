package io.diffrl4j.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One MMDiT velocity evaluation ({@code MmditModel.velocity}) with the RL configuration: a
 * trainable LoRA policy set (r 8 on Shapes, r 32 on SD3.5-M, attention projections) active over
 * the frozen base. {@link #forward} runs without autograd (sampling); {@link #forwardBackward}
 * records the graph and back-propagates {@code mean(v^2)} into the adapters (one micro-batch of
 * the update, without the optimizer). Attention: {@code auto} (the shipped fused kernel) or
 * {@code composed}.
 */
public class MmditBenchmark extends ModelBenchmark {
    /** The model spec (see the package comment). */
    @Param({"shapes", "sd35m-2L"})
    public String model;

    /** {@code auto} (fused when the kernel loads) or {@code composed}. */
    @Param({"auto"})
    public String attention;

    private NDArray x;
    private NDArray sigma;

    /** Builds the model with an active trainable policy adapter, and one input batch. */
    @Setup(Level.Trial)
    public void setUp() {
        fixture = ModelFixture.create(model);
        fixture.model.setAttentionBackend(backend(attention));
        fixture.model.adapters().create("policy", true, new SeededNoise(1));
        fixture.model.adapters().use("policy");
        SeededNoise rng = new SeededNoise(2);
        x = rng.normal(fixture.root, fixture.batchShape());
        sigma = fixture.root.full(new Shape(fixture.batch), 0.7f);
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    static AttentionBackend backend(String name) {
        switch (name) {
            case "auto":
                return AttentionBackend.auto();
            case "fused":
                return AttentionBackend.fused();
            case "composed":
                return AttentionBackend.composed();
            default:
                throw new IllegalArgumentException("attention must be auto, fused or composed, got " + name);
        }
    }

    /** @return the velocity's first element (forces nothing: CPU ops are synchronous) */
    @Benchmark
    public float forward() {
        try (NDManager step = fixture.root.newSubManager()) {
            fixture.attach(step, x, sigma);
            return fixture.model.velocity(x, sigma, fixture.cond).getFloat(0, 0, 0, 0);
        }
    }

    /** @return the loss; the adapters' gradients accumulate across calls (as over micro-batches) */
    @Benchmark
    public float forwardBackward() {
        try (NDManager step = fixture.root.newSubManager()) {
            fixture.attach(step, x, sigma);
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray loss = fixture.model.velocity(x, sigma, fixture.cond).square().mean();
                collector.backward(loss);
                return loss.getFloat();
            }
        }
    }
}
