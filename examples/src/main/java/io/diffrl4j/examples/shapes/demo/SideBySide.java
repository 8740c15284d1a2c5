package io.diffrl4j.examples.shapes.demo;

import java.io.IOException;
import java.io.PrintStream;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Collectors;

/**
 * Runs a comparison's lanes side by side, one JVM each with one thread, and waits for them: a lane
 * per task when there are several tasks, else a lane per method. One process per lane, each with
 * {@code OMP_NUM_THREADS=1}, is what pays on a small machine: with only DJL's {@code num_threads=1},
 * libtorch's OpenMP workers still spin against the other process and each run took 5x as long (167
 * s against 33 s alone for 3 demo epochs); with it, two runs take 44 s together, 1.5x the
 * throughput of one process with two threads. Each child is this same command for its lane's tasks
 * and methods with {@code --resume} (the parent has made the runs folder), its output in
 * {@code <runs>/<lane>.log}; the children are stopped when this process is.
 */
final class SideBySide {
    /** Set in a child: a lane runs its cells itself and never starts lanes of its own. */
    static final String LANE_PROPERTY = "diffrl4j.compare.lane";

    private SideBySide() {}

    /** @return true in a process started for one lane */
    static boolean inLane() {
        return System.getProperty(LANE_PROPERTY) != null;
    }

    /** The tasks and methods one child process runs, named after what distinguishes it. */
    record Lane(String name, List<ShapesTask> tasks, List<String> methods) {}

    /**
     * @param plan the comparison
     * @return one lane per task when there are several, else the methods dealt round-robin into as
     *     many lanes as there are processors (at most one per method)
     */
    static List<Lane> lanes(ShapesComparison.Plan plan) {
        return lanes(plan, Runtime.getRuntime().availableProcessors());
    }

    static List<Lane> lanes(ShapesComparison.Plan plan, int processors) {
        List<Lane> out = new ArrayList<>();
        if (plan.tasks().size() > 1) {
            plan.tasks().forEach(t -> out.add(new Lane(t.cliName(), List.of(t), plan.methods())));
            return out;
        }
        int n = Math.max(1, Math.min(processors, plan.methods().size()));
        for (int k = 0; k < n; k++) {
            List<String> methods = new ArrayList<>();
            for (int i = k; i < plan.methods().size(); i += n) {
                methods.add(plan.methods().get(i));
            }
            out.add(new Lane(String.join("+", methods), plan.tasks(), methods));
        }
        return out;
    }

    /**
     * @param plan the comparison; every lane gets a process
     * @param console a line per lane when it starts, then each run's line
     * @throws IOException when a process cannot be started
     * @throws IllegalStateException naming the lane and its log when a process fails
     */
    static void run(ShapesComparison.Plan plan, PrintStream console) throws IOException, InterruptedException {
        List<Lane> lanes = lanes(plan);
        List<Process> processes = new ArrayList<>();
        Thread stopper = new Thread(() -> processes.forEach(Process::destroy), "comparison-children-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            for (Lane lane : lanes) {
                Path log = log(plan, lane);
                ProcessBuilder pb = new ProcessBuilder(command(plan, lane)).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("OMP_NUM_THREADS", "1");
                pb.environment().put("MKL_NUM_THREADS", "1");
                processes.add(pb.start());
                console.println(lane.name() + ": started in its own process, log " + log);
            }
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < processes.size(); i++) {
                int status = processes.get(i).waitFor();
                Lane lane = lanes.get(i);
                List<String> lines = Files.readAllLines(log(plan, lane));
                lines.stream().filter(l -> lane.tasks().stream().anyMatch(t -> l.startsWith(t.cliName() + " ")))
                        .forEach(console::println);
                if (status != 0) {
                    String last = lines.stream().filter(l -> !l.isBlank()).reduce((x, y) -> y).orElse("(no output)");
                    failed.add(lane.name() + " failed (exit " + status + "): " + last + "; see " + log(plan, lane));
                }
            }
            if (!failed.isEmpty()) {
                throw new IllegalStateException(String.join("; ", failed));
            }
        } finally {
            processes.forEach(Process::destroy);
            try {
                Runtime.getRuntime().removeShutdownHook(stopper);
            } catch (IllegalStateException shuttingDown) {
                // the hook is running already
            }
        }
    }

    private static Path log(ShapesComparison.Plan plan, Lane lane) {
        return plan.runs().resolve(lane.name() + ".log");
    }

    /** This JVM's own settings (heap, DJL and logging properties), one thread, the same plan for one lane. */
    private static List<String> command(ShapesComparison.Plan plan, Lane lane) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.add("-Dai.djl.pytorch.num_threads=1");
        c.add("-Dai.djl.pytorch.num_interop_threads=1");
        c.add("-D" + LANE_PROPERTY + "=" + lane.name());
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(ShapesComparison.class.getName());
        c.addAll(List.of("--epochs", String.valueOf(plan.epochs()),
                "--seeds", plan.seeds().stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--tasks", lane.tasks().stream().map(ShapesTask::cliName).collect(Collectors.joining(",")),
                "--methods", String.join(",", lane.methods()),
                "--runs", plan.runs().toString(), "--report", plan.runs().resolve(lane.name() + ".md").toString(),
                "--resume"));
        return c;
    }
}
