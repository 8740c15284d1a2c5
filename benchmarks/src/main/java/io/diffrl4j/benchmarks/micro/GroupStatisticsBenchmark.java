package io.diffrl4j.benchmarks.micro;

import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.regularizers.gardo.DiversityAwareAdvantage;
import io.diffrl4j.regularizers.gardo.GatedKl;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * The host-side statistics of one epoch at the SD3.5-M recipe's size, P = 48 prompts x G = 24
 * images (1152 rewards): Flow-GRPO's group-relative advantages, GARDO's gate (win-rate
 * uncertainty of the proxy against two auxiliary rewards over the whole batch, the {@code k}
 * controller and the top-k selection, as {@code GatedKl.onEpochScored} runs them) and GARDO's
 * diversity-aware advantages (nearest-neighbour cosine distances within each group) on image
 * embeddings of width 1024 (a DINO-class ViT-L feature) or 88 (the Shapes embedder).
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"-Xmx1g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
public class GroupStatisticsBenchmark {
    /** Prompts per epoch. */
    @Param({"48"})
    public int prompts;

    /** Images per prompt. */
    @Param({"24"})
    public int groupSize;

    /** Width of the image embeddings. */
    @Param({"1024"})
    public int embeddingDim;

    private RewardBatch rewards;
    private GroupRelativeAdvantage groupRelative;
    private GatedKl gate;
    private DiversityAwareAdvantage diversity;
    private TrainingProgress progress;

    /** Draws rewards (proxy and two auxiliaries) and embeddings for P x G images. */
    @Setup(Level.Trial)
    public void setUp() {
        int n = prompts * groupSize;
        Random rng = new Random(6);
        Map<String, double[]> scores = new LinkedHashMap<>();
        for (String name : new String[] {"proxy", "aesthetic", "imagereward"}) {
            double[] r = new double[n];
            for (int i = 0; i < n; i++) {
                r[i] = rng.nextDouble();
            }
            scores.put(name, r);
        }
        float[][] embeddings = new float[n][embeddingDim];
        for (float[] e : embeddings) {
            for (int d = 0; d < embeddingDim; d++) {
                e[d] = (float) rng.nextGaussian();
            }
        }
        List<Prompt> ps = new ArrayList<>(n);
        for (int p = 0; p < prompts; p++) {
            Prompt prompt = Prompt.of("prompt " + p);
            for (int g = 0; g < groupSize; g++) {
                ps.add(prompt);
            }
        }
        rewards = new RewardBatch("proxy", scores, embeddings, ps, groupSize);
        groupRelative = new GroupRelativeAdvantage();
        gate = GatedKl.builder().gating(new ReferenceKl(null, null, KlForm.CODE, KlStrength.constant(0.07)));
        diversity = new DiversityAwareAdvantage(images -> new float[0][]);
        progress = new TrainingProgress(0, 0);
    }

    /** @return Flow-GRPO's advantages */
    @Benchmark
    public double[] groupRelativeAdvantage() {
        return groupRelative.estimate(rewards);
    }

    /** @return GARDO's gate of the epoch (the controller's state moves from call to call, as across epochs) */
    @Benchmark
    public boolean[] gardoGate() {
        gate.onEpochScored(rewards, progress);
        return gate.currentGate();
    }

    /** @return GARDO's diversity-aware advantages */
    @Benchmark
    public double[] diversityAwareAdvantage() {
        return diversity.estimate(rewards);
    }
}
