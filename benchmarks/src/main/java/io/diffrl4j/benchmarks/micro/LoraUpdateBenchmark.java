package io.diffrl4j.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.train.AdamW;
import io.diffrl4j.core.train.TrainerConfig;
import java.util.List;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One parameter update (forward, flow-matching-style loss {@code mean((v - target)^2)}, backward,
 * AdamW step with global-norm clipping) in three modes:
 * <ul>
 *   <li>{@code lora}: the RL configuration, LoRA adapters trained over the frozen base;</li>
 *   <li>{@code frozen}: the frozen base alone, nothing trained, gradients to the input only: the
 *       floor every LoRA update pays, because the backward pass must cross every frozen layer to
 *       reach the adapters before it;</li>
 *   <li>{@code full}: every base weight trained (pretraining, full fine-tuning), for scale.</li>
 * </ul>
 * So {@code lora - frozen} is what the adapters (their matmuls, gradients and optimizer) cost.
 */
public class LoraUpdateBenchmark extends ModelBenchmark {
    /** The model spec (see the package comment). */
    @Param({"shapes", "sd35m-2L"})
    public String model;

    /** {@code lora}, {@code frozen} or {@code full}. */
    @Param({"lora", "frozen", "full"})
    public String mode;

    private AdamW optimizer;
    private List<NDArray> trained;
    private NDArray x;
    private NDArray sigma;
    private NDArray target;

    /** Builds the model in the chosen mode, its optimizer and one batch. */
    @Setup(Level.Trial)
    public void setUp() {
        fixture = ModelFixture.create(model);
        SeededNoise rng = new SeededNoise(5);
        x = rng.normal(fixture.root, fixture.batchShape());
        target = rng.normal(fixture.root, fixture.batchShape());
        sigma = fixture.root.full(new Shape(fixture.batch), 0.7f);
        optimizer = new AdamW(fixture.root, TrainerConfig.builder().build());
        switch (mode) {
            case "lora":
                AdapterSet policy = fixture.model.adapters().create("policy", true, rng.fork(1));
                fixture.model.adapters().use("policy");
                trained = policy.parameters();
                break;
            case "full":
                trained = fixture.model.setBaseTrainable(true);
                break;
            case "frozen":
                trained = List.of();
                x.setRequiresGradient(true);
                break;
            default:
                throw new IllegalArgumentException("mode must be lora, frozen or full, got " + mode);
        }
    }

    /** Frees the model and the optimizer state. */
    @TearDown(Level.Trial)
    public void tearDown() {
        optimizer.close();
        fixture.model.setBaseTrainable(false);
        fixture.close();
    }

    /** @return the gradient norm (lora, full) or the loss (frozen) */
    @Benchmark
    public double update() {
        try (NDManager step = fixture.root.newSubManager()) {
            fixture.attach(step, x, sigma, target);
            float loss;
            try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                NDArray l = fixture.model.velocity(x, sigma, fixture.cond).sub(target).square().mean();
                collector.backward(l);
                loss = l.getFloat();
            }
            if (trained.isEmpty()) {
                // The input's gradient is the only one; it accumulates like the adapters' do between steps.
                x.getGradient().close();
                return loss;
            }
            return optimizer.step(trained, 1e-4);
        }
    }
}
