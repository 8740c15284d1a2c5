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
 * Runs the tasks of a comparison side by side, one JVM each with one thread, and waits for them.
 * One process per task, each with {@code OMP_NUM_THREADS=1}, is what pays on a small machine:
 * with only DJL's {@code num_threads=1}, libtorch's OpenMP workers still spin against the other
 * process and each run took 5x as long (167 s against 33 s alone for 3 demo epochs); with it, two
 * runs take 44 s together, 1.5x the throughput of one process with two threads. Each child is this
 * same command for one task with {@code --resume} (the parent has made the runs folder), its
 * output in {@code <runs>/<task>.log}; the children are stopped when this process is.
 */
final class SideBySide {
    private SideBySide() {}

    /**
     * @param plan the comparison; every task gets a process
     * @param console a line per task when it starts, then each run's line
     * @throws IOException when a process cannot be started
     * @throws IllegalStateException naming the task and its log when a process fails
     */
    static void run(ShapesComparison.Plan plan, PrintStream console) throws IOException, InterruptedException {
        List<Process> processes = new ArrayList<>();
        Thread stopper = new Thread(() -> processes.forEach(Process::destroy), "comparison-children-stop");
        Runtime.getRuntime().addShutdownHook(stopper);
        try {
            for (ShapesTask task : plan.tasks()) {
                Path log = log(plan, task);
                ProcessBuilder pb = new ProcessBuilder(command(plan, task)).redirectErrorStream(true)
                        .redirectOutput(log.toFile());
                pb.environment().put("OMP_NUM_THREADS", "1");
                pb.environment().put("MKL_NUM_THREADS", "1");
                processes.add(pb.start());
                console.println(task.cliName() + ": started in its own process, log " + log);
            }
            List<String> failed = new ArrayList<>();
            for (int i = 0; i < processes.size(); i++) {
                int status = processes.get(i).waitFor();
                ShapesTask task = plan.tasks().get(i);
                List<String> lines = Files.readAllLines(log(plan, task));
                lines.stream().filter(l -> l.startsWith(task.cliName() + " ")).forEach(console::println);
                if (status != 0) {
                    String last = lines.stream().filter(l -> !l.isBlank()).reduce((x, y) -> y).orElse("(no output)");
                    failed.add("the " + task.cliName() + " task failed (exit " + status + "): " + last + "; see "
                            + log(plan, task));
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

    private static Path log(ShapesComparison.Plan plan, ShapesTask task) {
        return plan.runs().resolve(task.cliName() + ".log");
    }

    /** This JVM's own settings (heap, DJL and logging properties), one thread, the same plan for one task. */
    private static List<String> command(ShapesComparison.Plan plan, ShapesTask task) {
        List<String> c = new ArrayList<>();
        c.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        c.addAll(ManagementFactory.getRuntimeMXBean().getInputArguments());
        c.add("-Dai.djl.pytorch.num_threads=1");
        c.add("-Dai.djl.pytorch.num_interop_threads=1");
        c.add("-cp");
        c.add(System.getProperty("java.class.path"));
        c.add(ShapesComparison.class.getName());
        c.addAll(List.of("--epochs", String.valueOf(plan.epochs()),
                "--seeds", plan.seeds().stream().map(String::valueOf).collect(Collectors.joining(",")),
                "--tasks", task.cliName(), "--methods", String.join(",", plan.methods()),
                "--runs", plan.runs().toString(), "--report", plan.runs().resolve(task.cliName() + ".md").toString(),
                "--resume"));
        return c;
    }
}
