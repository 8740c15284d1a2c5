package io.diffrl4j.benchmarks.micro;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.Guidance;
import io.diffrl4j.core.flow.InferenceSchedule;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.sampling.StepResult;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.TearDown;

/**
 * One step of Flow-GRPO's SDE sampler as the trainer's rollout runs it ({@code TrajectorySampler}):
 * {@link #samplerStep} is the whole step (CFG velocity of the batch, i.e. one model forward of 2B
 * rows, fresh host noise, the SDE transition with its log-probability, in a per-step sub-manager);
 * {@link #sdeRule} is the transition alone on a precomputed velocity, the sampler's own cost on
 * top of the model. Step 3 of 10 (an SDE step inside Flow-GRPO-Fast's window).
 */
public class SdeStepBenchmark extends ModelBenchmark {
    private static final int STEP = 3;

    /** The model spec (see the package comment). */
    @Param({"shapes"})
    public String model;

    private FlowGrpoSdeStep sde;
    private InferenceSchedule schedule;
    private SeededNoise rng;
    private NDArray x;
    private NDArray velocity;
    private NDArray noise;

    /** Builds the model, the current sample and, for {@link #sdeRule}, one velocity and noise draw. */
    @Setup(Level.Trial)
    public void setUp() {
        fixture = ModelFixture.create(model);
        sde = new FlowGrpoSdeStep();
        schedule = InferenceSchedule.of(10, fixture.shift);
        rng = new SeededNoise(3);
        x = rng.normal(fixture.root, fixture.batchShape());
        NDArray sigma = fixture.root.full(new Shape(fixture.batch), (float) schedule.sigma(STEP));
        velocity = Guidance.velocity(fixture.model, x, sigma, fixture.cond, fixture.uncond, fixture.guidance);
        noise = rng.normal(fixture.root, x.getShape());
    }

    /** Frees the model. */
    @TearDown(Level.Trial)
    public void tearDown() {
        fixture.close();
    }

    /** @return the step's mean log-probability (read on the host, as the sampler's metrics do once per step) */
    @Benchmark
    public float samplerStep() {
        try (NDManager step = fixture.root.newSubManager()) {
            fixture.attach(step, x);
            NDArray sigma = step.full(new Shape(fixture.batch), (float) schedule.sigma(STEP));
            NDArray v = Guidance.velocity(fixture.model, x, sigma, fixture.cond, fixture.uncond, fixture.guidance);
            StepResult r = sde.sample(x, v, schedule, STEP, rng.normal(step, x.getShape()));
            return r.logProb().mean().getFloat();
        }
    }

    /** @return the transition's mean log-probability, velocity and noise given */
    @Benchmark
    public float sdeRule() {
        try (NDManager step = fixture.root.newSubManager()) {
            fixture.attach(step, x, velocity, noise);
            StepResult r = sde.sample(x, velocity, schedule, STEP, noise);
            return r.logProb().mean().getFloat();
        }
    }
}
