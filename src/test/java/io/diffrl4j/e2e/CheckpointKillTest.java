package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A training process killed with SIGKILL at random moments (20 times, each resumed from what the
 * last one left) ends exactly where an uninterrupted run ends: every resume finds a checkpoint it
 * can verify, and the final adapters and optimizer state are byte-identical. The toy run
 * checkpoints after every epoch, so a good share of its time is spent writing checkpoints and
 * kills land mid-write as well as mid-epoch.
 */
class CheckpointKillTest {
    private static final int EPOCHS = 90;
    private static final int KILLS = 20;

    private record Run(List<String> lines, int exit) {}

    private static Process start(Path dir) throws IOException {
        List<String> cmd = List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-Xmx512m",
                "-Dai.djl.offline=true", "-Dorg.slf4j.simpleLogger.defaultLogLevel=error", "-cp",
                System.getProperty("java.class.path"), CheckpointKillChild.class.getName(), dir.toString(),
                String.valueOf(EPOCHS));
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true);
        pb.environment().put("OMP_NUM_THREADS", "1");
        return pb.start();
    }

    /** Runs a child to its end. */
    private static Run finish(Path dir) throws Exception {
        Process p = start(dir);
        List<String> lines = new ArrayList<>();
        try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = r.readLine()) != null;) {
                lines.add(line);
            }
        }
        assertTrue(p.waitFor(120, TimeUnit.SECONDS), "the child ends");
        return new Run(lines, p.exitValue());
    }

    @Test
    void killedTwentyTimesAtRandomMomentsTheRunEndsAsAnUninterruptedOne(@TempDir Path tmp) throws Exception {
        Path reference = tmp.resolve("reference");
        Run straight = finish(reference);
        assertEquals(0, straight.exit(), "uninterrupted run: " + straight.lines());
        assertTrue(straight.lines().contains("done"), straight.lines().toString());

        Path chain = tmp.resolve("chain");
        Random random = new Random(20261207);
        int resumedLater = 0;
        int leftovers = 0;
        List<Integer> readyAt = new ArrayList<>();
        List<Long> cycles = new ArrayList<>();
        for (int k = 0; k < KILLS; k++) {
            Process p = start(chain);
            // Read on another thread: killing a process closes its streams under the reader.
            java.util.concurrent.BlockingQueue<String> lines = new java.util.concurrent.LinkedBlockingQueue<>();
            Thread reader = new Thread(() -> {
                try (BufferedReader r = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
                    for (String line; (line = r.readLine()) != null;) {
                        lines.add(line);
                    }
                } catch (IOException e) {
                    // the stream was closed by the kill
                }
            });
            reader.start();
            String ready = lines.poll(60, TimeUnit.SECONDS);
            while (ready != null && !ready.startsWith("ready ") && !ready.startsWith("FAILED")) {
                ready = lines.poll(60, TimeUnit.SECONDS); // log lines of the engine's start
            }
            if (ready == null || !ready.startsWith("ready ")) {
                p.destroyForcibly().waitFor();
                reader.join();
                fail("kill " + k + ": the child did not resume: " + ready + " " + lines);
            }
            int at = Integer.parseInt(ready.substring("ready ".length()));
            readyAt.add(at);
            if (k > 0 && at > readyAt.get(k - 1)) {
                resumedLater++;
            }
            // Let 1-3 epochs pass, then kill at a uniformly random moment of the next epoch-plus-checkpoint cycle.
            long last = System.nanoTime();
            long cycle = 0;
            for (int n = 1 + random.nextInt(3); n > 0;) {
                String line = lines.poll(60, TimeUnit.SECONDS);
                assertTrue(line != null && !line.startsWith("FAILED"), "kill " + k + ": " + line + " " + lines);
                if (line.startsWith("epoch ")) {
                    long now = System.nanoTime();
                    cycle = now - last;
                    last = now;
                    n--;
                }
            }
            TimeUnit.NANOSECONDS.sleep((long) (random.nextDouble() * cycle));
            p.destroyForcibly(); // SIGKILL on Unix: no shutdown hooks, no finally blocks
            assertTrue(p.waitFor(30, TimeUnit.SECONDS));
            reader.join(10_000);
            String rest = String.join("\n", lines);
            cycles.add(cycle / 1_000_000);
            assertFalse(rest.contains("FAILED"), "kill " + k + ": " + rest);
            assertFalse(rest.contains("done"), "kill " + k + " came after the run ended; make EPOCHS larger");
            if (!Files.isDirectory(chain)) {
                continue; // killed before its first checkpoint
            }
            try (Stream<Path> s = Files.list(chain)) {
                if (s.anyMatch(f -> f.getFileName().toString().startsWith(".tmp-"))) {
                    leftovers++;
                }
            }
        }
        System.out.println("CheckpointKillTest: resumed at epochs " + readyAt + "; epoch cycles (ms) " + cycles + "; "
                + leftovers + " kills left a half-written checkpoint");
        assertEquals(KILLS - 1, resumedLater, "every kill came after progress was saved: " + readyAt);
        Run last = finish(chain);
        assertEquals(0, last.exit(), "final run: " + last.lines());
        assertEquals("done", last.lines().get(last.lines().size() - 1));

        Path a = reference.resolve("checkpoint-" + EPOCHS);
        Path b = chain.resolve("checkpoint-" + EPOCHS);
        for (String f : List.of("adapters/policy/adapter_model.safetensors", "adapters/old/adapter_model.safetensors",
                "adapters/ema/adapter_model.safetensors", "optimizer.safetensors")) {
            assertArrayEquals(Files.readAllBytes(a.resolve(f)), Files.readAllBytes(b.resolve(f)), f);
        }
        ObjectMapper json = new ObjectMapper();
        ObjectNode sa = (ObjectNode) json.readTree(a.resolve("state.json").toFile());
        ObjectNode sb = (ObjectNode) json.readTree(b.resolve("state.json").toFile());
        sa.remove("run_id");
        sb.remove("run_id");
        assertEquals(sa, sb, "the same counters, settings and strategy state");
    }
}
