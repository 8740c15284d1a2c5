package io.diffrl4j.benchmarks.e2e;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordedFrame;
import jdk.jfr.consumer.RecordedStackTrace;
import jdk.jfr.consumer.RecordedThread;
import jdk.jfr.consumer.RecordingFile;

/**
 * How much of the update step's wall time the training thread spends inside native code, sampled
 * with Java Flight Recorder in this process.
 *
 * <p>Method: JFR samples every thread that runs Java code ({@code jdk.ExecutionSample}) and every
 * thread inside a native method ({@code jdk.NativeMethodSample}), both every 10 ms here. A sample
 * of the training thread whose stack holds {@code Trainer.update} is inside the update step (the
 * forward and backward passes, the objective, the optimizer); it is native when the thread was
 * inside a JNI call (libtorch kernels through DJL's {@code PyTorchLibrary}, including the time the
 * calling thread waits for libtorch's worker threads) and Java otherwise (DJL's array bookkeeping,
 * managers, the objective's host code, JIT-compiled or interpreted). The native share is
 * {@code native / (native + Java)} of those samples. Epoch 1 (JIT warm-up, kernel compilation) is
 * left out.
 *
 * <p>Limits, stated with the result. Biases down: JFR takes at most one native sample per period, so
 * another Java thread sitting in native code at the same time takes some of the training thread's
 * native samples (their count is reported). Biases up: JFR drops Java samples whose stack it cannot
 * walk; on a busy machine libtorch's OpenMP workers wait for CPU inside kernels (measure on an idle
 * machine); and "native" includes DJL's own C++ glue in {@code libdjl_torch} (handle creation,
 * argument conversion) besides libtorch's kernels, since a JVM sampler cannot see into native
 * frames. The peer comparison's like-for-like ratio is the complementary measure: everything Java
 * adds over PyTorch running the same ops. Time at safepoints (GC pauses) is in neither count; GC
 * time is reported beside it. Stacks deeper than the JVM's {@code stackdepth} are truncated and
 * counted apart ({@code bench} raises the depth).
 */
final class UpdateProfiler implements AutoCloseable {
    private static final String UPDATE_CLASS = "io.diffrl4j.core.train.Trainer";
    private static final String UPDATE_METHOD = "update";
    private static final Duration PERIOD = Duration.ofMillis(10);

    private final Recording recording;

    private UpdateProfiler(Recording recording) {
        this.recording = recording;
    }

    /** @return a started recording of execution and native-method samples */
    static UpdateProfiler start() {
        Recording r = new Recording();
        r.setName("diffrl4j-update-profile");
        r.enable("jdk.ExecutionSample").withPeriod(PERIOD);
        r.enable("jdk.NativeMethodSample").withPeriod(PERIOD);
        r.setToDisk(true);
        r.start();
        return new UpdateProfiler(r);
    }

    /**
     * Stops the recording and counts the update step's samples.
     *
     * @param threadId the training thread
     * @param from samples before this instant (the warm-up epoch) are ignored
     * @return the counts and the native share
     * @throws IOException when the recording cannot be written or read
     */
    ObjectNode finish(long threadId, Instant from) throws IOException {
        recording.stop();
        Path file = Files.createTempFile("diffrl4j-update", ".jfr");
        try {
            recording.dump(file);
            return count(RecordingFile.readAllEvents(file), threadId, from);
        } finally {
            Files.deleteIfExists(file);
        }
    }

    private static ObjectNode count(List<RecordedEvent> events, long threadId, Instant from) {
        int java = 0;
        int jni = 0;
        int otherNative = 0;
        int truncated = 0;
        int otherThreadsNative = 0;
        Map<String, Integer> hotJava = new HashMap<>();
        Map<String, Integer> hotNative = new HashMap<>();
        for (RecordedEvent e : events) {
            String type = e.getEventType().getName();
            boolean isNative = type.equals("jdk.NativeMethodSample");
            if (!isNative && !type.equals("jdk.ExecutionSample")) {
                continue;
            }
            if (e.getStartTime().isBefore(from)) {
                continue;
            }
            RecordedThread t = e.getThread("sampledThread");
            if (t == null || t.getJavaThreadId() != threadId) {
                otherThreadsNative += isNative ? 1 : 0;
                continue;
            }
            RecordedStackTrace stack = e.getStackTrace();
            if (stack == null || stack.getFrames().isEmpty()) {
                continue;
            }
            if (!inUpdate(stack.getFrames())) {
                truncated += stack.isTruncated() ? 1 : 0;
                continue;
            }
            String top = name(stack.getFrames().get(0));
            if (isNative) {
                if (top.startsWith("ai.djl.pytorch.jni.")) {
                    jni++;
                } else {
                    otherNative++;
                }
                hotNative.merge(top, 1, Integer::sum);
            } else {
                java++;
                hotJava.merge(top, 1, Integer::sum);
            }
        }
        int total = java + jni + otherNative;
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("method", "JFR execution + native-method samples of the training thread inside Trainer.update, every "
                + PERIOD.toMillis() + " ms, epochs 2..N");
        n.put("samples", total);
        n.put("java_samples", java);
        n.put("jni_samples", jni);
        n.put("other_native_samples", otherNative);
        n.put("native_fraction", total == 0 ? Double.NaN : (double) (jni + otherNative) / total);
        n.put("jni_fraction", total == 0 ? Double.NaN : (double) jni / total);
        n.put("truncated_stacks_outside_update", truncated);
        n.put("other_threads_native_samples", otherThreadsNative);
        n.set("hot_java_frames", top(hotJava, total));
        n.set("hot_native_frames", top(hotNative, total));
        return n;
    }

    private static boolean inUpdate(List<RecordedFrame> frames) {
        for (RecordedFrame f : frames) {
            if (f.getMethod() != null && UPDATE_METHOD.equals(f.getMethod().getName())
                    && UPDATE_CLASS.equals(f.getMethod().getType().getName())) {
                return true;
            }
        }
        return false;
    }

    private static String name(RecordedFrame f) {
        return f.getMethod() == null ? "?" : f.getMethod().getType().getName() + "." + f.getMethod().getName();
    }

    private static ArrayNode top(Map<String, Integer> counts, int total) {
        ArrayNode a = JsonNodeFactory.instance.arrayNode();
        counts.entrySet().stream().sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).limit(10)
                .collect(Collectors.toList()).forEach(e -> {
                    ObjectNode o = a.addObject();
                    o.put("frame", e.getKey());
                    o.put("samples", e.getValue());
                    o.put("fraction", total == 0 ? Double.NaN : (double) e.getValue() / total);
                });
        return a;
    }

    @Override
    public void close() {
        recording.close();
    }
}
