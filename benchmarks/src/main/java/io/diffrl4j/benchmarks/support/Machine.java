package io.diffrl4j.benchmarks.support;

import ai.djl.engine.Engine;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;

/**
 * The facts a reader needs to interpret a number: CPU model and count, memory, load when the run
 * started (a busy machine gives slow, noisy numbers), JVM, DJL and libtorch versions and the
 * engine's thread settings.
 */
public final class Machine {
    private Machine() {}

    /** @return the facts as JSON (starts the engine) */
    public static ObjectNode describe() {
        ObjectNode n = JsonNodeFactory.instance.objectNode();
        n.put("time", Instant.now().toString());
        n.put("cpu", cpuModel());
        n.put("logical_cpus", Runtime.getRuntime().availableProcessors());
        n.put("memory_gb", memTotalGb());
        n.put("load_average_1m_at_start", loadAverage());
        n.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version"));
        n.put("java", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version"));
        Engine engine = Engine.getInstance();
        n.put("djl_engine", engine.getEngineName() + " " + engine.getVersion());
        n.put("djl", Engine.getDjlVersion());
        n.put("torch_intra_op_threads", JniUtils.getNumThreads());
        n.put("torch_inter_op_threads", JniUtils.getNumInteropThreads());
        return n;
    }

    /** @return a one-line summary for console output */
    public static String oneLine() {
        ObjectNode d = describe();
        return d.get("cpu").asText() + ", " + d.get("logical_cpus").asInt() + " logical CPUs, "
                + String.format(java.util.Locale.ROOT, "%.0f", d.get("memory_gb").asDouble()) + " GB, load "
                + d.get("load_average_1m_at_start").asText() + ", " + d.get("djl_engine").asText() + " ("
                + d.get("torch_intra_op_threads").asInt() + " intra-op threads)";
    }

    private static String cpuModel() {
        try {
            List<String> lines = Files.readAllLines(Path.of("/proc/cpuinfo"));
            for (String l : lines) {
                if (l.startsWith("model name")) {
                    return l.substring(l.indexOf(':') + 1).trim();
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return System.getProperty("os.arch");
    }

    private static double memTotalGb() {
        try {
            for (String l : Files.readAllLines(Path.of("/proc/meminfo"))) {
                if (l.startsWith("MemTotal:")) {
                    return Long.parseLong(l.replaceAll("[^0-9]", "")) / 1048576.0;
                }
            }
        } catch (IOException | RuntimeException e) {
            // fall through
        }
        return Double.NaN;
    }

    private static String loadAverage() {
        try {
            String[] f = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return f[0];
        } catch (IOException | RuntimeException e) {
            return "n/a";
        }
    }
}
