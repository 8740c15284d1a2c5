package io.diffrl4j.benchmarks.peer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.benchmarks.support.Json;
import java.io.BufferedReader;
import java.io.BufferedWriter;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStreamWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;

/**
 * The Python peer as a long-lived child process ({@code mmdit_peer.py --serve}): it loads the
 * exported model once, reports its check against the Java outputs, then times what it is asked
 * to, one JSON command per line, while this JVM waits (the two sides never run at the same time).
 */
final class PythonPeer implements AutoCloseable {
    private final Process process;
    private final BufferedReader out;
    private final BufferedWriter in;
    private final JsonNode check;

    private PythonPeer(Process process) throws IOException {
        this.process = process;
        this.out = new BufferedReader(new InputStreamReader(process.getInputStream(), StandardCharsets.UTF_8));
        this.in = new BufferedWriter(new OutputStreamWriter(process.getOutputStream(), StandardCharsets.UTF_8));
        this.check = readLine().get("check");
        if (check == null) {
            throw new IOException("the peer did not report its check");
        }
    }

    static PythonPeer start(String python, Path script, Path weights, Path io, Path config, int threads) throws IOException {
        ProcessBuilder pb = new ProcessBuilder(python, script.toString(), "--weights", weights.toString(), "--io",
                io.toString(), "--config", config.toString(), "--threads", Integer.toString(threads), "--serve");
        // Debian's PyTorch calls the system BLAS (OpenBLAS with its own thread pool): give it the same thread count.
        pb.environment().put("OMP_NUM_THREADS", Integer.toString(threads));
        pb.environment().put("OPENBLAS_NUM_THREADS", Integer.toString(threads));
        pb.redirectError(ProcessBuilder.Redirect.INHERIT);
        return new PythonPeer(pb.start());
    }

    /** @return the peer's versions and its differences to the Java outputs */
    JsonNode check() {
        return check;
    }

    /**
     * @param mode forward or forward_backward
     * @param ops mirror or idiomatic
     * @param attention composed or sdpa
     * @param reps timed repetitions
     * @return seconds per repetition
     * @throws IOException when the peer fails
     */
    double[] time(String mode, String ops, String attention, int reps) throws IOException {
        ObjectNode cmd = Json.MAPPER.createObjectNode();
        cmd.put("op", "time");
        cmd.put("mode", mode);
        cmd.put("ops", ops);
        cmd.put("attention", attention);
        cmd.put("reps", reps);
        in.write(cmd.toString());
        in.newLine();
        in.flush();
        JsonNode reply = readLine();
        if (reply.has("error")) {
            throw new IOException("peer: " + reply.get("error").asText());
        }
        JsonNode times = reply.get("times");
        double[] t = new double[times.size()];
        for (int i = 0; i < t.length; i++) {
            t[i] = times.get(i).asDouble();
        }
        return t;
    }

    private JsonNode readLine() throws IOException {
        for (String line; (line = out.readLine()) != null; ) {
            if (line.startsWith("{")) {
                return Json.MAPPER.readTree(line);
            }
        }
        throw new IOException("the Python peer exited (code " + waitQuietly() + "); see its output above");
    }

    private int waitQuietly() {
        try {
            return process.waitFor();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return -1;
        }
    }

    /**
     * @param python the interpreter
     * @return the interpreter's PyTorch version, or null when {@code import torch} fails
     */
    static String torchVersion(String python) {
        try {
            Process p = new ProcessBuilder(List.of(python, "-c", "import torch; print(torch.__version__)"))
                    .redirectErrorStream(true).start();
            String text = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            return p.waitFor() == 0 ? text : null;
        } catch (IOException e) {
            return null;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        }
    }

    @Override
    public void close() {
        try {
            in.write("{\"op\": \"quit\"}");
            in.newLine();
            in.flush();
        } catch (IOException e) {
            // already gone
        }
        if (waitQuietly() != 0) {
            process.destroy();
        }
    }
}
