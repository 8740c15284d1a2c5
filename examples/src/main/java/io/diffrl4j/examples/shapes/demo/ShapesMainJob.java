package io.diffrl4j.examples.shapes.demo;

import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.CommandLine;
import io.diffrl4j.examples.cli.Option;
import io.diffrl4j.examples.cli.OutputFolder;
import io.diffrl4j.examples.cli.RunHistory;
import io.diffrl4j.examples.report.MatchedProxy;
import io.diffrl4j.examples.shapes.PromptGrammar;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The main job, {@code bin/demo}: what RL post-training does, in minutes on a laptop. The
 * unregularised baseline (Flow-GRPO without KL) and the library's default method (GARDO) fine-tune
 * the shipped Shapes model on the same proxy with the same budget, side by side, and one report
 * says what happened: the proxy rose, and what that did to the gold metrics no reward sees (the
 * held-out checker, diversity, distance to real data), at equal epochs and at equal proxy gain.
 *
 * <p>The default task is {@link ShapesTask#COMPRESSIBILITY}, a proxy on the [0, 1] scale of
 * GenEval or OCR scores that the unregularised baseline hacks within the budget (blank, flat
 * images); the other tasks and methods are options. The runs are those of {@code bin/compare}
 * ({@link ShapesComparison}) with one seed, so {@code --resume} continues them; the report is
 * {@code summary.md} in the output folder, with {@code trajectories.png}, and every run keeps its
 * own folder, report and labelled before/after grids.
 */
public final class ShapesMainJob {
    /** The methods the main job compares by default: the unregularised baseline, then the library's default. */
    public static final List<String> METHODS = List.of("flow-grpo", "gardo");

    private ShapesMainJob() {}

    /** The command line of {@code bin/demo} without a METHOD. */
    static final CommandLine COMMAND_LINE = new CommandLine("bin/demo",
            "The main job: the unregularised baseline and the default method fine-tune the shipped Shapes model on the "
                    + "same proxy, side by side; then one report on what rose and what it cost. bin/demo METHOD [options] "
                    + "runs one method alone (bin/demo gardo --help).",
            null,
            List.of(Option.value("task", "TASK", "the proxy: compressibility (hackable, on [0, 1]), geneval (the checker) "
                            + "or reward-model (a learned reward model)", ShapesTask.COMPRESSIBILITY.cliName()),
                    Option.value("methods", "M,M,...", "the methods, the baseline first: " + String.join(", ",
                            ShapesMethods.NAMES), String.join(",", METHODS)),
                    Option.value("epochs", "N", "epochs of every run", "20"),
                    Option.value("seed", "S", "the seed of every run", "1"),
                    Option.value("out", "DIR", "the output folder", "runs/demo"),
                    OutputFolder.RESUME, OutputFolder.OVERWRITE),
            "");

    /**
     * The command: checks the arguments and the output folder, runs what is not finished, writes the
     * report and prints it.
     *
     * @param args the command line (no METHOD)
     * @param out where the progress, the report and the usage go
     * @param err where errors go
     * @param cwd the directory relative paths resolve against
     * @return the exit status: 0 done (or help), 1 a failure, 2 a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Path cwd) {
        return COMMAND_LINE.execute(args, cwd, out, err, a -> {
            ShapesComparison.Plan plan = plan(a);
            OutputFolder.Mode mode = OutputFolder.check(a, "out", plan.runs());
            OutputFolder.prepare(plan.runs(), mode, a.cwd());
            Path config = plan.runs().resolve(OutputFolder.MARKER);
            if (Files.exists(config)) {
                RunHistory.checkSameSettings(config, ShapesComparison.planJson(plan));
            } else {
                Files.writeString(config, new com.fasterxml.jackson.databind.ObjectMapper().writerWithDefaultPrettyPrinter()
                        .writeValueAsString(ShapesComparison.planJson(plan)));
            }
            long t0 = System.nanoTime();
            out.println("The main job: " + String.join(" and ", plan.methods()) + " on the " + plan.tasks().get(0).cliName()
                    + " task, " + plan.epochs() + " epochs each" + (plan.methods().size() > 1 ? ", side by side" : "")
                    + "; runs in " + plan.runs());
            if (plan.methods().size() > 1 && Runtime.getRuntime().availableProcessors() > 1) {
                SideBySide.run(plan, out);
            } else {
                ShapesComparison.runCells(plan, out);
            }
            Path summary = report(plan, (System.nanoTime() - t0) / 1e9);
            out.println();
            out.println(Files.readString(summary));
            out.println("Report written to " + summary);
            return 0;
        });
    }

    /**
     * @param args a command line of the main job
     * @param cwd the directory relative paths resolve against
     * @return its plan
     */
    static ShapesComparison.Plan parse(String[] args, Path cwd) {
        return plan(COMMAND_LINE.parse(args, cwd));
    }

    private static ShapesComparison.Plan plan(Arguments a) {
        ShapesTask task;
        try {
            task = ShapesTask.named(a.text("task"));
        } catch (IllegalArgumentException e) {
            throw a.bad("task", "unknown task; choose one of " + ShapesTask.names());
        }
        List<String> methods = a.list("methods");
        for (String m : methods) {
            if (!ShapesMethods.isKnown(m)) {
                throw a.bad("methods", "unknown method '" + m + "'; choose among " + ShapesMethods.NAMES);
            }
        }
        if (methods.stream().distinct().count() != methods.size()) {
            throw a.bad("methods", "a method is listed twice");
        }
        int epochs = a.integer("epochs", 1);
        long seed = a.wholeNumber("seed");
        Path runs = a.path("out");
        ShapesDemo.Options d = ShapesDemo.Options.defaults(methods.get(0));
        return Arguments.checked(() -> new ShapesComparison.Plan(epochs, d.prompts(), d.groupSize(),
                PromptGrammar.evaluationPrompts().size(), ShapesDemo.EVAL_IMAGES, List.of(seed), List.of(task), methods, runs,
                runs.resolve("summary.md"), "bin/demo"));
    }

    /**
     * Writes {@code summary.md} and {@code trajectories.png} in the runs folder from the finished runs.
     *
     * @param plan the main job's plan (one task, one seed)
     * @param seconds the wall time, for the report
     * @return the summary
     * @throws IOException when a run's files cannot be read or the report written
     */
    static Path report(ShapesComparison.Plan plan, double seconds) throws IOException {
        ShapesTask task = plan.tasks().get(0);
        long seed = plan.seeds().get(0);
        Map<String, ShapesComparison.Curves> curves = new LinkedHashMap<>();
        Map<String, List<ShapesReport.Change>> changes = new LinkedHashMap<>();
        for (String m : plan.methods()) {
            curves.put(m, ShapesComparison.read(plan, task, m));
            changes.put(m, ShapesReport.readChanges(plan.options(task, m, seed).out().resolve(ShapesReport.CHANGES)));
        }
        ShapesComparison.figure(task, curves, plan.evalImages(), plan.runs().resolve("trajectories.png"));
        ShapesDemo.Options any = plan.options(task, plan.methods().get(0), seed);
        StringBuilder b = new StringBuilder("# The main job: what RL post-training does to the Shapes model\n\n");
        b.append(String.format(Locale.ROOT, "%s; each fine-tuned for %d epochs of %d prompts x %d images (seed %d) on the "
                + "proxy reward: %s. The gold metrics are what no reward sees: the checker's strict pass rate on the %s, "
                + "the diversity of a prompt's images (Vendi) and their distance to real scenes (Frechet). %.0f s in all on "
                + "this machine.%n%n", describe(plan.methods()), plan.epochs(), any.prompts(), any.groupSize(), seed,
                task.proxyLabel(), ShapesComparison.heldOut(any), seconds));
        b.append("## In short\n\n");
        for (String m : plan.methods()) {
            b.append("- ").append(inWords(m, changes.get(m))).append('\n');
        }
        b.append('\n').append(verdict(plan.methods(), changes, curves)).append("\n\n");
        b.append("![trajectories](trajectories.png)\n\n");
        b.append("## Where it happened\n\n");
        b.append(ShapesComparison.matchedProxy(curves)).append('\n');
        b.append("With one seed there is no seed spread: the intervals above are the paired bootstrap over the held-out "
                + "prompts of each run (its own `summary.md`); `bin/compare --tasks ").append(task.cliName())
                .append("` runs every method with three seeds.\n\n");
        b.append("## What the images look like\n\n");
        b.append("The same held-out prompts and noise, one row per prompt (numbered as in each run's `prompts.txt`): the "
                + "base model, then each method after ").append(plan.epochs()).append(" epochs.\n\n");
        Path firstRun = plan.runs().relativize(plan.options(task, plan.methods().get(0), seed).out());
        b.append("![before](").append(firstRun.resolve("before.png")).append(")\n\n");
        for (String m : plan.methods()) {
            Path dir = plan.runs().relativize(plan.options(task, m, seed).out());
            b.append("![").append(m).append(" after](").append(dir.resolve("after.png")).append(")\n\n");
        }
        b.append("## The runs\n\n");
        for (String m : plan.methods()) {
            Path dir = plan.runs().relativize(plan.options(task, m, seed).out());
            b.append(String.format(Locale.ROOT, "- %s: `%s/` — `summary.md` (its report), `before.png` / `after.png` (the "
                    + "same held-out prompts and noise, before and after, numbered as in `prompts.txt`), `metrics.csv`, "
                    + "`eval.csv`.%n", m, dir));
        }
        Path file = plan.runs().resolve("summary.md");
        Files.writeString(file, b.toString());
        return file;
    }

    private static String describe(List<String> methods) {
        List<String> named = new ArrayList<>();
        for (String m : methods) {
            named.add((m.equals("flow-grpo") ? "the unregularised baseline, " : m.equals("gardo")
                    ? "the library's default method, " : "") + "`" + m + "`" + (m.equals("flow-grpo") ? " (no KL)"
                    : m.equals("gardo") ? " (gated KL, adaptive reference, diversity-aware advantages)" : ""));
        }
        String all = "Methods: " + String.join(" and ", named);
        return all;
    }

    /** One method's held-out changes in a sentence: each metric from, to, and whether beyond noise. */
    static String inWords(String method, List<ShapesReport.Change> changes) {
        List<String> parts = new ArrayList<>();
        for (ShapesReport.Change c : changes) {
            String reading = c.interval().containsZero() ? "within noise"
                    : ((c.after() > c.before()) == c.higherIsBetter() ? "better" : "worse");
            parts.add(String.format(Locale.ROOT, "%s %s -> %s (%s)", c.name(), ShapesReport.num(c.before()),
                    ShapesReport.num(c.after()), reading));
        }
        return "**" + method + "**: " + String.join("; ", parts) + ".";
    }

    /**
     * The reading: whether the proxy rose, whether the gold fell (reward hacking), and, for each
     * method after the first, the gold it kept against the first at the largest proxy gain both
     * reached.
     */
    static String verdict(List<String> methods, Map<String, List<ShapesReport.Change>> changes,
            Map<String, ShapesComparison.Curves> curves) {
        List<String> sentences = new ArrayList<>();
        for (String m : methods) {
            ShapesReport.Change proxy = find(changes.get(m), "proxy reward");
            ShapesReport.Change gold = find(changes.get(m), "gold: strict GenEval pass rate");
            boolean rose = !proxy.interval().containsZero() && proxy.after() > proxy.before();
            boolean fell = !gold.interval().containsZero() && gold.after() < gold.before();
            boolean goldRose = !gold.interval().containsZero() && gold.after() > gold.before();
            sentences.add(String.format(Locale.ROOT, "%s %s the proxy (%+.3f) and the gold %s (%+.3f)%s.", m,
                    rose ? "raised" : "did not clearly raise", proxy.after() - proxy.before(),
                    fell ? "fell" : goldRose ? "rose" : "stayed within noise", gold.after() - gold.before(),
                    rose && fell ? ": reward hacking" : ""));
        }
        if (methods.size() > 1) {
            String base = methods.get(0);
            double[] baseEval = proxyOf(curves.get(base));
            for (String m : methods.subList(1, methods.size())) {
                double gain = Math.min(MatchedProxy.maxGain(baseEval), MatchedProxy.maxGain(proxyOf(curves.get(m))));
                if (!(gain > 0)) {
                    sentences.add(m + " and " + base + " never both raised the held-out proxy, so their gold cannot be "
                            + "compared at an equal proxy gain.");
                    continue;
                }
                double dBase = goldAt(curves.get(base), gain);
                double dM = goldAt(curves.get(m), gain);
                sentences.add(String.format(Locale.ROOT, "At the largest held-out proxy gain both reached (+%.3f), %s's gold "
                        + "had changed by %+.3f and %s's by %+.3f: %s kept %.3f %s gold than %s at the same proxy gain (one "
                        + "seed: read it as a hint, not a result).", gain, base, dBase, m, dM, m, Math.abs(dM - dBase),
                        dM >= dBase ? "more" : "less", base));
            }
        }
        return String.join(" ", sentences);
    }

    private static double[] proxyOf(ShapesComparison.Curves c) {
        return c.evalBySeed().get(0).get("proxy_mean");
    }

    private static double goldAt(ShapesComparison.Curves c, double gain) {
        Map<String, double[]> run = c.evalBySeed().get(0);
        return MatchedProxy.goldChangeAt(run.get("proxy_mean"), run.get("gold_strict_pass_rate"), gain);
    }

    private static ShapesReport.Change find(List<ShapesReport.Change> changes, String name) {
        return changes.stream().filter(c -> c.name().equals(name)).findFirst()
                .orElseThrow(() -> new IllegalStateException("the run's changes have no '" + name + "'"));
    }
}
