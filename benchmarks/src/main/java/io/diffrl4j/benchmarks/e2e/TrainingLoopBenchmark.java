package io.diffrl4j.benchmarks.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.benchmarks.support.Args;
import io.diffrl4j.benchmarks.support.Json;
import io.diffrl4j.benchmarks.support.Machine;
import io.diffrl4j.benchmarks.support.ProcessMemory;
import io.diffrl4j.benchmarks.support.Sd35mShaped;
import io.diffrl4j.benchmarks.support.Summary;
import io.diffrl4j.core.train.Trainer;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.function.ToDoubleFunction;

/**
 * The training loop end to end for a fixed number of epochs: images sampled per second, samples
 * updated per second, the time split (sampling / scoring / update / other), peak resident memory,
 * whether native memory stays flat, and the update step's native share ({@link UpdateProfiler}).
 * Throughput and the split are medians over epochs 2..N (epoch 1 warms up the JIT and the
 * kernels); "flat" compares the end of epoch 2 with the end of the last epoch: the resident set
 * within 5% and the same number of live NDArrays. Prints a table and writes JSON.
 *
 * <pre>
 * TrainingLoopBenchmark --model shapes|sd35m [--epochs N] [--method gardo] [--prompts P] [--group G]
 *     [--layers L] [--latent 64] [--seed S] [--profile true|false] [--out file.json]
 * </pre>
 * Run it with a fixed Java heap ({@code -Xms = -Xmx} and {@code -XX:+AlwaysPreTouch}, as {@code
 * run.sh} does) so that resident-set growth is native growth, not the heap expanding.
 */
public final class TrainingLoopBenchmark {
    /** Allowed resident-set drift from epoch 2 to the last epoch. */
    static final double FLAT_TOLERANCE = 0.05;

    private TrainingLoopBenchmark() {}

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args, Set.of("model", "epochs", "method", "prompts", "group", "layers", "latent", "seed",
                "profile", "out"));
        String model = a.get("model", "shapes");
        int epochs = a.getInt("epochs", model.equals("shapes") ? 50 : 3);
        long seed = a.getLong("seed", 1);
        boolean profile = a.getBoolean("profile", true);
        Path out = Path.of(a.get("out", "benchmarks/target/bench/e2e-" + model + ".json"));
        PrintStream console = System.out;
        console.println("machine: " + Machine.oneLine());
        LoopSetup setup = switch (model) {
            case "shapes" -> ShapesLoop.create(a.get("method", "gardo"), a.getInt("prompts", 8), a.getInt("group", 8), seed);
            case "sd35m" -> Sd35mLoop.create(a.getInt("layers", 2), a.getInt("latent", Sd35mShaped.LATENT_512),
                    a.getInt("prompts", 2), a.getInt("group", 2), seed);
            default -> throw new IllegalArgumentException("--model must be shapes or sd35m, got " + model);
        };
        try (setup) {
            console.println("loop: " + setup.description());
            console.println("epochs: " + epochs + " (epoch 1 is warm-up and left out of the medians)");
            EpochRecorder recorder = new EpochRecorder(console);
            UpdateProfiler profiler = profile ? UpdateProfiler.start() : null;
            ObjectNode profileResult = null;
            try (Trainer trainer = setup.trainer().addListener(recorder).build()) {
                trainer.trainUntil(epochs);
                if (profiler != null) {
                    List<EpochRow> rows = recorder.rows();
                    Instant after = Instant.ofEpochMilli(rows.get(0).endEpochMillis());
                    profileResult = profiler.finish(recorder.trainingThreadId(), rows.size() > 1 ? after : Instant.EPOCH);
                }
            } finally {
                if (profiler != null) {
                    profiler.close();
                }
            }
            ObjectNode result = report(model, setup.description(), epochs, recorder.rows(), profileResult);
            print(console, result);
            Json.write(out, result);
            console.println("written " + out);
        }
    }

    private static ObjectNode report(String model, String description, int epochs, List<EpochRow> rows,
            ObjectNode profile) {
        ObjectNode n = Json.MAPPER.createObjectNode();
        n.put("benchmark", "training-loop");
        n.put("model", model);
        n.put("description", description);
        n.put("epochs", epochs);
        n.put("jvm_args", String.join(" ", ManagementFactory.getRuntimeMXBean().getInputArguments()));
        n.set("machine", Machine.describe());
        List<EpochRow> steady = rows.size() > 1 ? rows.subList(1, rows.size()) : rows;
        ObjectNode t = n.putObject("throughput");
        t.set("images_sampled_per_s", summary(steady, EpochRow::imagesPerSecond).toJson());
        t.set("images_per_sampling_s", summary(steady, EpochRow::imagesPerSamplingSecond).toJson());
        t.set("samples_updated_per_update_s", summary(steady, EpochRow::updatedPerUpdateSecond).toJson());
        t.set("samples_updated_per_s", summary(steady, r -> r.updatedImages() / r.wallSeconds()).toJson());
        t.set("epoch_s", summary(steady, EpochRow::wallSeconds).toJson());
        ObjectNode split = n.putObject("time_split");
        double wall = steady.stream().mapToDouble(EpochRow::wallSeconds).sum();
        split.put("sampling", steady.stream().mapToDouble(EpochRow::samplingSeconds).sum() / wall);
        split.put("scoring", steady.stream().mapToDouble(EpochRow::scoringSeconds).sum() / wall);
        split.put("update", steady.stream().mapToDouble(EpochRow::updateSeconds).sum() / wall);
        split.put("other", steady.stream().mapToDouble(EpochRow::otherSeconds).sum() / wall);
        n.set("memory", memory(rows, steady));
        if (profile != null) {
            n.set("update_profile", profile);
        }
        ArrayNode table = n.putArray("epochs_table");
        rows.forEach(r -> table.add(r.toJson()));
        return n;
    }

    /**
     * Native memory from epoch 2 to the last: the resident set outside the (pre-touched) heap,
     * compared as the mean of the first epochs after warm-up against the mean of the last ones
     * (up to 5 each, so that the allocator's epoch-to-epoch wobble is not read as a trend), plus
     * the exact count and bytes of live NDArrays, which must not change.
     */
    private static ObjectNode memory(List<EpochRow> rows, List<EpochRow> steady) {
        ObjectNode m = Json.MAPPER.createObjectNode();
        boolean pretouched = ProcessMemory.heapPreTouched();
        ToDoubleFunction<EpochRow> nat = pretouched ? EpochRow::nativeRssMb : EpochRow::rssMb;
        EpochRow first = steady.get(0);
        EpochRow last = steady.get(steady.size() - 1);
        int window = Math.max(1, Math.min(5, steady.size() / 2));
        double early = steady.subList(0, window).stream().mapToDouble(nat).average().orElse(Double.NaN);
        double late = steady.subList(steady.size() - window, steady.size()).stream().mapToDouble(nat).average()
                .orElse(Double.NaN);
        double drift = (late - early) / early;
        double max = steady.stream().mapToDouble(nat).max().orElse(Double.NaN);
        double min = steady.stream().mapToDouble(nat).min().orElse(Double.NaN);
        m.put("compared", pretouched ? "resident set outside the pre-touched Java heap"
                : "whole resident set (heap not pre-touched, so heap growth counts too)");
        m.put("peak_rss_mb", rows.stream().mapToDouble(EpochRow::peakRssMb).max().orElse(Double.NaN));
        m.put("peak_rss_outside_heap_mb", pretouched
                ? rows.stream().mapToDouble(r -> r.peakRssMb() - r.heapCommittedMb()).max().orElse(Double.NaN) : Double.NaN);
        m.put("from_epoch", first.epoch());
        m.put("to_epoch", last.epoch());
        m.put("window_epochs", window);
        m.put("native_from_mb", early);
        m.put("native_to_mb", late);
        m.put("native_drift", drift);
        m.put("native_range", (max - min) / early);
        m.put("native_single_point_drift", (nat.applyAsDouble(last) - nat.applyAsDouble(first)) / nat.applyAsDouble(first));
        m.put("rss_from_mb", first.rssMb());
        m.put("rss_to_mb", last.rssMb());
        m.put("live_arrays_from", first.liveArrays());
        m.put("live_arrays_to", last.liveArrays());
        m.put("live_array_mb_from", first.liveArrayMb());
        m.put("live_array_mb_to", last.liveArrayMb());
        m.put("heap_committed_from_mb", first.heapCommittedMb());
        m.put("heap_committed_to_mb", last.heapCommittedMb());
        boolean flat = Math.abs(drift) <= FLAT_TOLERANCE && first.liveArrays() == last.liveArrays()
                && Math.abs(first.liveArrayMb() - last.liveArrayMb()) < 1e-6;
        m.put("native_flat", flat);
        m.put("gc_s_after_epoch_1", steady.stream().mapToDouble(EpochRow::gcSeconds).sum());
        return m;
    }

    private static Summary summary(List<EpochRow> rows, ToDoubleFunction<EpochRow> f) {
        return Summary.of(rows.stream().mapToDouble(f).toArray());
    }

    private static void print(PrintStream c, ObjectNode r) {
        ObjectNode t = (ObjectNode) r.get("throughput");
        ObjectNode s = (ObjectNode) r.get("time_split");
        ObjectNode m = (ObjectNode) r.get("memory");
        c.println();
        c.println("== training loop: " + r.get("model").asText() + " ==");
        c.printf(Locale.ROOT, "images sampled / s (epoch wall)   %s%n", fmt(t.get("images_sampled_per_s")));
        c.printf(Locale.ROOT, "images sampled / s (sampling)     %s%n", fmt(t.get("images_per_sampling_s")));
        c.printf(Locale.ROOT, "samples updated / s (update)      %s%n", fmt(t.get("samples_updated_per_update_s")));
        c.printf(Locale.ROOT, "epoch wall time, s                %s%n", fmt(t.get("epoch_s")));
        c.printf(Locale.ROOT, "time split                        sampling %.1f%%, scoring %.1f%%, update %.1f%%, other %.1f%%%n",
                100 * s.get("sampling").asDouble(), 100 * s.get("scoring").asDouble(), 100 * s.get("update").asDouble(),
                100 * s.get("other").asDouble());
        c.printf(Locale.ROOT, "peak resident memory              %.1f MB (outside the Java heap %.1f MB)%n",
                m.get("peak_rss_mb").asDouble(), m.get("peak_rss_outside_heap_mb").asDouble());
        c.printf(Locale.ROOT, "native memory epoch %d -> %d       %.1f -> %.1f MB (%+.2f%%, means of %d epochs; range %.1f%%), "
                + "live arrays %d -> %d (%.1f -> %.1f MB): %s%n", m.get("from_epoch").asInt(), m.get("to_epoch").asInt(),
                m.get("native_from_mb").asDouble(), m.get("native_to_mb").asDouble(), 100 * m.get("native_drift").asDouble(),
                m.get("window_epochs").asInt(), 100 * m.get("native_range").asDouble(), m.get("live_arrays_from").asInt(),
                m.get("live_arrays_to").asInt(), m.get("live_array_mb_from").asDouble(), m.get("live_array_mb_to").asDouble(),
                m.get("native_flat").asBoolean() ? "FLAT" : "NOT FLAT");
        c.println("                                  (" + m.get("compared").asText() + ")");
        if (r.has("update_profile")) {
            ObjectNode p = (ObjectNode) r.get("update_profile");
            c.printf(Locale.ROOT, "update step inside native code    %.1f%% of %d samples (JNI %.1f%%; Java %d samples; "
                    + "other threads' native samples %d)%n", 100 * p.get("native_fraction").asDouble(),
                    p.get("samples").asInt(), 100 * p.get("jni_fraction").asDouble(), p.get("java_samples").asInt(),
                    p.get("other_threads_native_samples").asInt());
            p.get("hot_java_frames").forEach(f -> c.printf(Locale.ROOT, "    java   %5.1f%%  %s%n",
                    100 * f.get("fraction").asDouble(), f.get("frame").asText()));
        }
    }

    private static String fmt(com.fasterxml.jackson.databind.JsonNode s) {
        return String.format(Locale.ROOT, "%.3g [%.3g - %.3g]", s.get("median").asDouble(), s.get("min").asDouble(),
                s.get("max").asDouble());
    }
}
