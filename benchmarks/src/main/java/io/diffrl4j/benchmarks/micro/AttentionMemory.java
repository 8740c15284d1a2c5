package io.diffrl4j.benchmarks.micro;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.benchmarks.support.Args;
import io.diffrl4j.benchmarks.support.GradMode;
import io.diffrl4j.benchmarks.support.Json;
import io.diffrl4j.benchmarks.support.Machine;
import io.diffrl4j.benchmarks.support.ProcessMemory;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.nn.kernel.AttentionBackend;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;

/**
 * What each attention backend holds in memory, measured, and what that means at SD3.5-Medium's
 * training sizes. For every token count and backend a fresh JVM (so no allocator cache from an
 * earlier case hides an allocation; glibc's mmap threshold is pinned for the same reason) draws
 * q, k, v (B, 24, T, 64), then measures the resident-set growth after the forward pass (what
 * autograd keeps for the backward pass: it lives until the backward pass of the whole model, so it
 * adds up over layers) and the peak growth over forward+backward.
 *
 * <p>The extrapolation is arithmetic on the measured per-sequence bytes: one SD3.5-M row holds 24
 * joint attentions over 1024 + 333 tokens and 13 image-only attentions over 1024 tokens; a Flow-GRPO
 * micro-batch of one group of 24 images with CFG inside the training forward is 48 rows. It is
 * compared with one 80 GB GPU, the budget {@code docs/SD35.md} plans for.
 *
 * <pre>
 * AttentionMemory [--tokens 256,1024,1357] [--batch 4] [--out attention-memory.json]
 * </pre>
 */
public final class AttentionMemory {
    private static final double GB = 1e9;
    private static final double MB = 1048576.0;
    private static final int JOINT_LAYERS = 24;
    private static final int DUAL_LAYERS = 13;
    private static final int JOINT_TOKENS = 1357;
    private static final int IMAGE_TOKENS = 1024;
    private static final int ROWS_PER_MICRO_BATCH = 48;
    private static final double BUDGET_GB = 80;

    private AttentionMemory() {}

    /** @param args see the class comment; {@code --case T,backend} runs one measurement (child process) */
    public static void main(String[] args) throws Exception {
        Args a = Args.parse(args, Set.of("tokens", "batch", "out", "case"));
        int batch = a.getInt("batch", 4);
        String single = a.get("case", null);
        if (single != null) {
            String[] p = single.split(",");
            System.out.println(measure(Integer.parseInt(p[0]), p[1], batch).toString());
            return;
        }
        List<Integer> tokens = new ArrayList<>();
        for (String t : a.get("tokens", "256,1024,1357").split(",")) {
            tokens.add(Integer.parseInt(t.trim()));
        }
        ObjectNode out = Json.MAPPER.createObjectNode();
        out.set("machine", Machine.describe());
        out.put("batch", batch);
        out.put("heads", AttentionBenchmark.HEADS);
        out.put("head_dim", AttentionBenchmark.HEAD_DIM);
        ArrayNode cases = out.putArray("cases");
        System.out.printf(Locale.ROOT, "%-8s %-9s %14s %14s %16s%n", "tokens", "backend", "saved MB/seq", "peak MB/seq",
                "T^2 fp32 MB/seq");
        for (int t : tokens) {
            for (String backend : List.of("fused", "composed")) {
                JsonNode r = child(t, backend, batch);
                cases.add(r);
                System.out.printf(Locale.ROOT, "%-8d %-9s %14.1f %14.1f %16.1f%n", t, backend,
                        r.get("saved_mb_per_sequence").asDouble(), r.get("peak_mb_per_sequence").asDouble(),
                        (double) AttentionBenchmark.HEADS * t * t * 4 / MB);
            }
        }
        out.set("sd35m_extrapolation", extrapolate(cases));
        JsonNode e = out.get("sd35m_extrapolation");
        System.out.println();
        System.out.println(e.get("statement").asText());
        Json.write(Path.of(a.get("out", "benchmarks/target/bench/attention-memory.json")), out);
    }

    private static JsonNode child(int tokens, String backend, int batch) throws IOException, InterruptedException {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        // A fixed, pre-touched heap: it neither grows nor shrinks (G1 uncommits concurrently) while RSS is read.
        List<String> cmd = new ArrayList<>(List.of(java, "-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch"));
        System.getProperties().stringPropertyNames().stream()
                .filter(k -> k.startsWith("ai.djl.") || k.startsWith("org.slf4j."))
                .forEach(k -> cmd.add("-D" + k + "=" + System.getProperty(k)));
        cmd.addAll(List.of("-cp", System.getProperty("java.class.path"), AttentionMemory.class.getName(), "--case",
                tokens + "," + backend, "--batch", Integer.toString(batch)));
        ProcessBuilder pb = new ProcessBuilder(cmd);
        pb.environment().put("MALLOC_MMAP_THRESHOLD_", "131072");
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        Process p = pb.start();
        String last = null;
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null; ) {
                if (line.startsWith("{")) {
                    last = line;
                }
            }
        }
        int rc = p.waitFor();
        if (rc != 0 || last == null) {
            ObjectNode failed = Json.MAPPER.createObjectNode();
            failed.put("tokens", tokens);
            failed.put("backend", backend);
            failed.put("failed", "exit code " + rc + " (out of memory?)");
            failed.put("saved_mb_per_sequence", Double.NaN);
            failed.put("peak_mb_per_sequence", Double.NaN);
            return failed;
        }
        return Json.MAPPER.readTree(last);
    }

    /** One case, in this process. */
    static ObjectNode measure(int tokens, String backend, int batch) {
        GradMode.offForThisThread();
        AttentionBackend attention = MmditBenchmark.backend(backend);
        try (NDManager root = NDManager.newBaseManager()) {
            // Engine and kernel warm-up on a tiny case, so their one-time allocations are not counted.
            SeededNoise rng = new SeededNoise(7);
            try (NDManager warm = root.newSubManager()) {
                NDArray t = rng.normal(warm, new Shape(1, 1, 8, 8));
                t.setRequiresGradient(true);
                try (GradientCollector c = Engine.getInstance().newGradientCollector()) {
                    c.backward(attention.attend(t, t, t).sum());
                }
            }
            Shape s = new Shape(batch, AttentionBenchmark.HEADS, tokens, AttentionBenchmark.HEAD_DIM);
            NDArray q = rng.normal(root, s);
            NDArray k = rng.normal(root, s);
            NDArray v = rng.normal(root, s);
            q.setRequiresGradient(true);
            k.setRequiresGradient(true);
            v.setRequiresGradient(true);
            ProcessMemory.resetPeak();
            double base = ProcessMemory.rssMb();
            double saved;
            try (NDManager step = root.newSubManager();
                    GradientCollector c = Engine.getInstance().newGradientCollector()) {
                step.tempAttachAll(q, k, v);
                NDArray out = attention.attend(q, k, v);
                NDArray loss = out.sum();
                // Output and loss are the only other arrays alive here; what else grew is autograd's.
                saved = ProcessMemory.rssMb() - base - out.size() * 4 / MB;
                c.backward(loss);
            }
            double peak = ProcessMemory.peakRssMb() - base;
            ObjectNode n = Json.MAPPER.createObjectNode();
            n.put("tokens", tokens);
            n.put("backend", backend);
            n.put("batch", batch);
            n.put("saved_mb_per_sequence", saved / batch);
            n.put("peak_mb_per_sequence", peak / batch);
            n.put("score_matrix_mb_per_sequence", (double) AttentionBenchmark.HEADS * tokens * tokens * 4 / MB);
            return n;
        }
    }

    private static ObjectNode extrapolate(ArrayNode cases) {
        ObjectNode e = Json.MAPPER.createObjectNode();
        StringBuilder statement = new StringBuilder("SD3.5-M training micro-batch (one group of 24 images with CFG = 48 rows, "
                + "24 joint attentions over 1357 tokens + 13 image-only over 1024 per row), attention memory kept for the "
                + "backward pass, fp32:");
        for (String backend : List.of("fused", "composed")) {
            double joint = saved(cases, backend, JOINT_TOKENS);
            double image = saved(cases, backend, IMAGE_TOKENS);
            if (Double.isNaN(joint) || Double.isNaN(image)) {
                continue;
            }
            double perRowGb = (JOINT_LAYERS * joint + DUAL_LAYERS * image) * MB / GB;
            double total = perRowGb * ROWS_PER_MICRO_BATCH;
            ObjectNode b = e.putObject(backend);
            b.put("gb_per_row", perRowGb);
            b.put("gb_per_micro_batch", total);
            b.put("fits_80gb", total < BUDGET_GB);
            b.put("max_rows_in_80gb", (int) Math.floor(BUDGET_GB / perRowGb));
            statement.append(String.format(Locale.ROOT, " %s %.2f GB per row, %.1f GB per micro-batch (%s one 80 GB GPU; "
                    + "at most %d rows);", backend, perRowGb, total, total < BUDGET_GB ? "fits" : "exceeds",
                    (int) Math.floor(BUDGET_GB / perRowGb)));
        }
        if (!e.has("fused") && !e.has("composed")) {
            statement.append(" not computed (needs the 1024- and 1357-token cases).");
        }
        e.put("statement", statement.toString());
        return e;
    }

    private static double saved(ArrayNode cases, String backend, int tokens) {
        for (JsonNode c : cases) {
            if (c.get("backend").asText().equals(backend) && c.get("tokens").asInt() == tokens) {
                return Math.max(0, c.get("saved_mb_per_sequence").asDouble());
            }
        }
        return Double.NaN;
    }
}
