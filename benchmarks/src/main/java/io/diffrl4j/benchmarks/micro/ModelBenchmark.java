package io.diffrl4j.benchmarks.micro;

import io.diffrl4j.benchmarks.support.GradMode;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the benchmarks of one {@link ModelFixture} share, inherited by them: JMH's settings (average time in ms,
 * 3 warm-up iterations of 2 s, 5 measured of 3 s, one fork with a 4 GiB heap) and the per-iteration grad-mode
 * reset. Each subclass builds {@link #fixture} in its trial set-up and frees it in its trial tear-down.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 3)
@Fork(value = 1, jvmArgsAppend = {"-Xmx4g", "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public abstract class ModelBenchmark {
    /** The model under test. */
    ModelFixture fixture;

    /** Grad mode is thread-local in libtorch: make sure this iteration's thread does not record graphs. */
    @Setup(Level.Iteration)
    public void gradModeOff() {
        GradMode.offForThisThread();
    }
}
