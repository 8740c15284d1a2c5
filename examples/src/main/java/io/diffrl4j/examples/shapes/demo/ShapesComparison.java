package io.diffrl4j.examples.shapes.demo;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.CommandLine;
import io.diffrl4j.examples.cli.Option;
import io.diffrl4j.examples.cli.OutputFolder;
import io.diffrl4j.examples.cli.RunHistory;
import io.diffrl4j.examples.cli.UsageException;
import io.diffrl4j.examples.report.LineChart;
import io.diffrl4j.examples.report.MatchedProxy;
import io.diffrl4j.examples.report.MetricsCsv;
import io.diffrl4j.examples.report.PairedBootstrap;
import io.diffrl4j.examples.shapes.PromptGrammar;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The comparison run: every method on every task with several seeds and the same budget of sampled
 * images, through the main job's code path ({@link ShapesDemo#run}), then one table and one
 * figure per task in a Markdown report.
 *
 * <pre>
 * bin/compare [--epochs 20] [--seeds 1,2,3] [--tasks geneval,reward-model]
 *     [--methods gardo,flow-grpo,flow-grpo-kl,diffusion-nft,crd] [--runs runs/comparison]
 *     [--report runs/comparison/RESULTS.md] [--resume | --overwrite]
 * </pre>
 *
 * Each run writes its own folder {@code <runs>/<task>/<method>/seed-<s>}; a folder that already
 * holds a {@code summary.md} is finished and is read, not run again, and an unfinished one
 * continues from its checkpoint, so {@code --resume} continues an interrupted comparison. With
 * several tasks the command runs each task (with one task, each method) in its own JVM side by side ({@link SideBySide}) and then
 * writes the report. The figures go next to the report, in {@code results/}.
 */
public final class ShapesComparison {
    /** Held-out metrics of the table and the figure, as named in {@code eval.csv}. */
    private static final List<String> HELD_OUT = List.of("gold_strict_pass_rate", "proxy_mean", "vendi_within_prompt",
            "frechet_to_real");

    /**
     * @param epochs epochs of every run
     * @param prompts prompts per epoch
     * @param groupSize images per prompt
     * @param evalPrompts held-out prompts evaluated (the first of {@link PromptGrammar#evaluationPrompts()})
     * @param evalImages images per held-out prompt
     * @param seeds the seeds of every (task, method)
     * @param tasks the tasks
     * @param methods names of {@link ShapesMethods#NAMES}
     * @param runs the folder of the runs
     * @param report the Markdown file written at the end
     * @param command the command line recorded in the report
     */
    public record Plan(int epochs, int prompts, int groupSize, int evalPrompts, int evalImages, List<Long> seeds, List<ShapesTask> tasks, List<String> methods, Path runs, Path report,
            String command) {
        /** Validates the plan. */
        public Plan {
            seeds = List.copyOf(seeds);
            tasks = List.copyOf(tasks);
            methods = List.copyOf(methods);
            if (epochs < 1 || seeds.isEmpty() || tasks.isEmpty() || methods.isEmpty()) {
                throw new IllegalArgumentException("a comparison needs epochs >= 1 and at least one seed, task and method");
            }
            for (String m : methods) {
                if (!ShapesMethods.isKnown(m)) {
                    throw new IllegalArgumentException("unknown method '" + m + "'; choose among " + ShapesMethods.NAMES);
                }
            }
        }

        /**
         * @param task the task
         * @param method the method
         * @param seed the seed
         * @return the options of that run, evaluated every 5 epochs (or at the end of shorter runs)
         */
        public ShapesDemo.Options options(ShapesTask task, String method, long seed) {
            return ShapesDemo.Options.builder(method).optTask(task).optEpochs(epochs).optSeed(seed)
                    .optOut(runs.resolve(task.cliName()).resolve(method).resolve("seed-" + seed)).optEvalEvery(Math.min(5, epochs))
                    .optBatch(prompts, groupSize).optEvaluation(evalPrompts, evalImages).build();
        }
    }

    private ShapesComparison() {}

    /** The command line of {@code bin/compare}. */
    static final CommandLine COMMAND_LINE = new CommandLine("bin/compare",
            "Every method on every task with several seeds and one budget; then a Markdown report with a table and "
                    + "a figure per task. With several tasks each task, with one task each method, runs in its own JVM, side by side.",
            null,
            List.of(Option.value("epochs", "N", "epochs of every run", "20"),
                    Option.value("seeds", "S,S,...", "the seeds of every (task, method)", "1,2,3"),
                    Option.value("tasks", "T,T,...", "the tasks: " + String.join(", ", ShapesTask.names()),
                            String.join(",", ShapesTask.names())),
                    Option.value("methods", "M,M,...", "the methods", String.join(",", ShapesMethods.NAMES)),
                    Option.value("runs", "DIR", "the folder of the runs (one per task, method and seed)", "runs/comparison"),
                    Option.value("report", "FILE", "the Markdown report; its figures go to results/ beside it",
                            "DIR/RESULTS.md in the --runs folder"),
                    Option.flag("resume", "keep the finished runs in --runs and continue the others"),
                    OutputFolder.OVERWRITE),
            "Regenerate the repository's examples/RESULTS.md with: bin/compare --report examples/RESULTS.md (from the "
                    + "repository root).\n");

    /** @param args see {@code bin/compare --help} */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Path.of("").toAbsolutePath()));
    }

    /**
     * The command: checks every argument and the runs folder before anything is created, then runs
     * what is not finished and writes the report.
     *
     * @param args the command line
     * @param out where the progress and the usage go
     * @param err where errors go
     * @param cwd the directory relative paths resolve against
     * @return the exit status: 0 done (or help), 1 a failure, 2 a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Path cwd) {
        return COMMAND_LINE.execute(args, cwd, out, err, a -> {
            Plan plan = plan(a, args);
            OutputFolder.Mode mode = OutputFolder.check(a, "runs", plan.runs());
            OutputFolder.prepare(plan.runs(), mode, a.cwd());
            Path config = plan.runs().resolve(OutputFolder.MARKER);
            if (Files.exists(config)) { // written once, by the first process: side-by-side children only read it
                RunHistory.checkSameSettings(config, planJson(plan));
            } else {
                Files.writeString(config, new ObjectMapper().writerWithDefaultPrettyPrinter()
                        .writeValueAsString(planJson(plan)));
            }
            if (!SideBySide.inLane() && SideBySide.lanes(plan).size() > 1) {
                SideBySide.run(plan, out);
                writeReport(plan);
            } else {
                run(plan, out);
            }
            out.println("Report written to " + plan.report());
            return 0;
        });
    }

    /**
     * @param args a command line of {@code bin/compare}
     * @param cwd the directory relative paths resolve against
     * @return its plan
     * @throws UsageException naming the first bad value
     */
    static Plan parse(String[] args, Path cwd) {
        return plan(COMMAND_LINE.parse(args, cwd), args);
    }

    private static Plan plan(Arguments a, String[] args) {
        int epochs = a.integer("epochs", 1);
        List<Long> seeds = new ArrayList<>();
        for (String s : a.list("seeds")) {
            try {
                seeds.add(Long.parseLong(s));
            } catch (NumberFormatException e) {
                throw a.bad("seeds", "'" + s + "' is not a whole number");
            }
        }
        List<ShapesTask> tasks = new ArrayList<>();
        for (String t : a.list("tasks")) {
            try {
                tasks.add(ShapesTask.named(t));
            } catch (IllegalArgumentException e) {
                throw a.bad("tasks", "unknown task '" + t + "'; choose among " + ShapesTask.names());
            }
        }
        List<String> methods = a.list("methods");
        for (String m : methods) {
            if (!ShapesMethods.isKnown(m)) {
                throw a.bad("methods", "unknown method '" + m + "'; choose among " + ShapesMethods.NAMES);
            }
        }
        Path runs = a.path("runs");
        Path report = a.given("report") ? a.path("report") : runs.resolve("RESULTS.md");
        ShapesDemo.Options d = ShapesDemo.Options.defaults(methods.get(0));
        return Arguments.checked(() -> new Plan(epochs, d.prompts(), d.groupSize(), PromptGrammar.evaluationPrompts().size(),
                3, seeds, tasks, methods, runs, report, ("ShapesComparison " + String.join(" ", args)).trim()));
    }

    /** The settings every run of one comparison folder must share, written to its config.json. */
    static ObjectNode planJson(Plan plan) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("run_epochs", plan.epochs());
        n.put("prompts", plan.prompts());
        n.put("group_size", plan.groupSize());
        n.put("eval_prompts", plan.evalPrompts());
        n.put("eval_images", plan.evalImages());
        return n;
    }

    /**
     * Runs what is not finished yet, then writes the report and its figures.
     *
     * @param plan what to run
     * @param console one line per run
     * @throws IOException when a run or the report cannot be written
     */
    public static void run(Plan plan, PrintStream console) throws IOException {
        runCells(plan, console);
        writeReport(plan);
    }

    /**
     * Runs, one after the other in this process, every (task, method, seed) whose folder has no
     * {@code summary.md} yet.
     *
     * @param plan what to run
     * @param console one line per run
     * @throws IOException when a run cannot be written
     */
    static void runCells(Plan plan, PrintStream console) throws IOException {
        PrintStream quiet = new PrintStream(OutputStream.nullOutputStream());
        for (ShapesTask task : plan.tasks()) {
            for (String method : plan.methods()) {
                for (long seed : plan.seeds()) {
                    ShapesDemo.Options o = plan.options(task, method, seed);
                    if (Files.exists(o.out().resolve("summary.md"))) {
                        console.printf(Locale.ROOT, "%-13s %-14s seed %d: done before%n", task.cliName(), method, seed);
                        continue;
                    }
                    long t0 = System.nanoTime();
                    ShapesDemo.run(o, quiet, true); // an interrupted run continues from its checkpoint
                    console.printf(Locale.ROOT, "%-13s %-14s seed %d: %.0f s%n", task.cliName(), method, seed,
                            (System.nanoTime() - t0) / 1e9);
                }
            }
        }
    }

    /**
     * Per method, the curves of one task averaged over seeds with their standard deviation over
     * seeds, and each seed's first and last values. The training proxy is each seed's moving
     * average over {@link ShapesReport#window} epochs (every epoch draws other prompts), and its
     * first and last values are the first and last windows.
     */
    record Curves(double[] trainEpochs, double[] proxyTrain, double[] proxyTrainSpread, double[] evalEpochs,
            Map<String, double[]> heldOut, Map<String, double[]> heldOutSpread, Map<String, double[]> lastBySeed,
            Map<String, double[]> firstBySeed, List<Map<String, double[]>> evalBySeed) {}

    static Curves read(Plan plan, ShapesTask task, String method) throws IOException {
        List<Map<String, double[]>> train = new ArrayList<>();
        List<Map<String, double[]>> eval = new ArrayList<>();
        for (long seed : plan.seeds()) {
            Path dir = plan.options(task, method, seed).out();
            train.add(MetricsCsv.read(dir.resolve("metrics.csv")));
            eval.add(MetricsCsv.read(dir.resolve("eval.csv")));
        }
        double[] trainEpochs = train.get(0).get("epoch").clone();
        for (int i = 0; i < trainEpochs.length; i++) {
            trainEpochs[i] += 1;
        }
        Map<String, double[]> heldOut = new LinkedHashMap<>();
        Map<String, double[]> heldOutSpread = new LinkedHashMap<>();
        Map<String, double[]> last = new LinkedHashMap<>();
        Map<String, double[]> first = new LinkedHashMap<>();
        for (String k : HELD_OUT) {
            heldOut.put(k, mean(eval, k));
            heldOutSpread.put(k, spread(eval, k));
            last.put(k, eval.stream().mapToDouble(e -> e.get(k)[e.get(k).length - 1]).toArray());
            first.put(k, eval.stream().mapToDouble(e -> e.get(k)[0]).toArray());
        }
        String proxyKey = task.metricKey();
        int w = ShapesReport.window(trainEpochs.length);
        List<Map<String, double[]>> smooth = new ArrayList<>();
        for (Map<String, double[]> t : train) {
            smooth.add(Map.of(proxyKey, ShapesReport.movingAverage(t.get(proxyKey), w)[0]));
        }
        last.put("proxy_train", smooth.stream().mapToDouble(t -> t.get(proxyKey)[t.get(proxyKey).length - 1]).toArray());
        first.put("proxy_train", smooth.stream().mapToDouble(t -> t.get(proxyKey)[Math.min(w, t.get(proxyKey).length) - 1])
                .toArray());
        if (train.stream().allMatch(t -> t.containsKey("kl"))) {
            last.put("kl", train.stream().mapToDouble(t -> tailMean(t.get("kl"), w)).toArray());
        }
        return new Curves(trainEpochs, mean(smooth, proxyKey), spread(smooth, proxyKey), eval.get(0).get("epoch"), heldOut,
                heldOutSpread, last, first, eval);
    }

    static void writeReport(Plan plan) throws IOException {
        Path figures = plan.report().toAbsolutePath().getParent().resolve("results");
        StringBuilder b = new StringBuilder();
        b.append("# Shapes world: every method on every task\n\n");
        ShapesDemo.Options any = plan.options(plan.tasks().get(0), plan.methods().get(0), plan.seeds().get(0));
        int w = ShapesReport.window(plan.epochs());
        String heldOut = heldOut(any);
        b.append(String.format(Locale.ROOT, "Made by `%s` (via `bin/compare`). Every run: %d epochs of %d prompts x %d "
                + "images (%d sampled images, the same budget for every method), the demo's settings otherwise (%s). "
                + "Seeds %s. Held-out numbers (the same definition as `bin/demo`'s summary): the %s per run (prompts never "
                + "trained on; noise seed = the run's seed + 1000, so the base model's numbers differ a little by seed), "
                + "Euler ODE with CFG, evaluated every %d epochs. Values are mean ± standard deviation over seeds. The "
                + "training proxy draws other prompts every epoch, so it is read as a %d-epoch moving average: its first "
                + "value is the mean of epochs 1-%d, its end the mean of the last %d epochs (KL likewise).%n%n",
                plan.command(), plan.epochs(), any.prompts(), any.groupSize(), plan.epochs() * any.prompts() * any.groupSize(),
                ShapesMethods.DEVIATIONS, plan.seeds(), heldOut, any.evalEvery(), w, w, w));
        for (ShapesTask task : plan.tasks()) {
            Map<String, Curves> curves = new LinkedHashMap<>();
            for (String m : plan.methods()) {
                curves.put(m, read(plan, task, m));
            }
            String figure = "shapes-" + task.cliName() + ".png";
            figure(task, curves, plan.evalImages(), figures.resolve(figure));
            b.append("## Task: ").append(task.cliName()).append(" (proxy: ").append(task.proxyLabel())
                    .append(", gold: the checker on held-out prompts)\n\n");
            Curves base = curves.values().iterator().next();
            b.append(String.format(Locale.ROOT, "Base model before training (%s, mean ± standard deviation over the "
                    + "seeds' noise): gold strict pass rate %s, proxy on held-out images %s, Vendi %s, Frechet %s.%n%n", heldOut,
                    stat(base.firstBySeed().get("gold_strict_pass_rate")),
                    stat(base.firstBySeed().get("proxy_mean")), stat(base.firstBySeed().get("vendi_within_prompt")),
                    stat(base.firstBySeed().get("frechet_to_real"))));
            b.append("| method | proxy (train), epochs 1-" + w + " | proxy (train), last " + w + " epochs | proxy (held-out), end | "
                    + "gold strict pass rate (" + any.evalPrompts() + " prompts x " + any.evalImages() + "), end | "
                    + "Vendi within prompt, end | Frechet to real, end | KL, end |\n");
            b.append("|---|---|---|---|---|---|---|---|\n");
            for (Map.Entry<String, Curves> e : curves.entrySet()) {
                Curves c = e.getValue();
                b.append("| ").append(e.getKey()).append(" | ").append(stat(c.firstBySeed().get("proxy_train")))
                        .append(" | ").append(stat(c.lastBySeed().get("proxy_train")))
                        .append(" | ").append(stat(c.lastBySeed().get("proxy_mean")))
                        .append(" | ").append(stat(c.lastBySeed().get("gold_strict_pass_rate")))
                        .append(" | ").append(stat(c.lastBySeed().get("vendi_within_prompt")))
                        .append(" | ").append(stat(c.lastBySeed().get("frechet_to_real")))
                        .append(" | ").append(c.lastBySeed().containsKey("kl") ? small(c.lastBySeed().get("kl")) : "n/a")
                        .append(" |\n");
            }
            b.append("\nChange from the base model, run by run (the same seed and evaluation noise before and after), "
                    + "mean ± standard deviation over seeds:\n\n");
            b.append("| method | gold strict pass rate | proxy (held-out) | Vendi within prompt | Frechet to real |\n");
            b.append("|---|---|---|---|---|\n");
            for (Map.Entry<String, Curves> e : curves.entrySet()) {
                b.append("| ").append(e.getKey());
                for (String k : HELD_OUT) {
                    b.append(" | ").append(signed(change(e.getValue(), k)));
                }
                b.append(" |\n");
            }
            b.append('\n').append(inWords(curves, plan.seeds().size()));
            b.append('\n').append(matchedProxy(curves));
            b.append("\n![").append(task.cliName()).append("](results/").append(figure).append(")\n\n");
        }
        Files.createDirectories(plan.report().toAbsolutePath().getParent());
        String old = Files.exists(plan.report()) ? Files.readString(plan.report()) : "";
        int notes = old.indexOf(NOTES);
        b.append(notes >= 0 ? old.substring(notes) : NOTES + "\n\n(to be written by a person reading the numbers above)\n");
        Files.writeString(plan.report(), b.toString());
    }

    /** The method every other is compared with at matched proxy gain, when it is in the comparison. */
    static final String BASELINE = "flow-grpo";

    /** The heading under which a person's reading of the numbers is kept when the report is regenerated. */
    static final String NOTES = "## What the numbers say";

    /** The held-out evaluation in words, next to every pass rate. */
    static String heldOut(ShapesDemo.Options o) {
        return String.format(Locale.ROOT, "%d held-out evaluation prompts x %d images = %d images", o.evalPrompts(),
                o.evalImages(), o.evalPrompts() * o.evalImages());
    }

    /**
     * One line per held-out metric: which methods moved it beyond the seed noise. A method's
     * change is called a change when its mean over seeds lies farther from 0 than the two-sided
     * 95% Student-t value times its standard error over seeds (12.7 for 2 seeds, 4.30 for 3).
     */
    static String inWords(Map<String, Curves> curves, int seeds) {
        StringBuilder b = new StringBuilder("In words (change from each run's own base evaluation; a change counts when its "
                + "mean over the " + seeds + " seeds is beyond the 95% t-interval of their spread):\n\n");
        Map<String, String> names = Map.of("gold_strict_pass_rate", "gold strict pass rate", "proxy_mean", "proxy (held-out)",
                "vendi_within_prompt", "Vendi within prompt", "frechet_to_real", "Frechet to real (lower is closer)");
        for (String k : HELD_OUT) {
            List<String> up = new ArrayList<>();
            List<String> down = new ArrayList<>();
            for (Map.Entry<String, Curves> e : curves.entrySet()) {
                double[] d = change(e.getValue(), k);
                double m = Arrays.stream(d).average().orElse(Double.NaN);
                double se = d.length < 2 ? Double.POSITIVE_INFINITY : PairedBootstrap.standardDeviation(d) / Math.sqrt(d.length);
                if (Math.abs(m) > tCritical(d.length - 1) * se) {
                    (m > 0 ? up : down).add(e.getKey() + String.format(Locale.ROOT, " (%+.3f)", m));
                }
            }
            b.append("- ").append(names.get(k)).append(": ");
            if (up.isEmpty() && down.isEmpty()) {
                b.append(seeds < 2 ? "one seed: no spread to judge a change by" : "no method moved it beyond the seed noise");
            } else {
                b.append(up.isEmpty() ? "" : "rose for " + String.join(", ", up))
                        .append(!up.isEmpty() && !down.isEmpty() ? "; " : "")
                        .append(down.isEmpty() ? "" : "fell for " + String.join(", ", down));
                List<String> rest = new ArrayList<>(curves.keySet());
                rest.removeIf(m -> up.stream().anyMatch(u -> u.startsWith(m + " ")) || down.stream().anyMatch(u -> u.startsWith(m + " ")));
                if (!rest.isEmpty()) {
                    b.append("; within the seed noise for ").append(String.join(", ", rest));
                }
            }
            b.append(".\n");
        }
        return b.toString();
    }

    /**
     * Gold kept at equal proxy gain: per method and proxy gain (held-out, over the run's base
     * evaluation), the change of the gold strict pass rate where each seed's trajectory first
     * reaches that gain ({@link MatchedProxy}), mean ± 95% t-interval over the seeds that reach it;
     * then each method against the unregularised baseline ({@value #BASELINE}, else the first
     * method), paired by seed. The gains are steps of a round size up to the largest gain any run reached.
     */
    static String matchedProxy(Map<String, Curves> curves) {
        double top = 0;
        for (Curves c : curves.values()) {
            for (Map<String, double[]> e : c.evalBySeed()) {
                top = Math.max(top, MatchedProxy.maxGain(e.get("proxy_mean")));
            }
        }
        StringBuilder b = new StringBuilder("Gold at matched proxy gain (\"hacks less\" = more gold kept at the same rise of "
                + "the held-out proxy; each seed's trajectory is read where it first reaches the gain, linear between "
                + "evaluations; mean ± 95% t-interval over the seeds that reach it, their count in brackets):\n\n");
        if (!(top > 0)) {
            return b.append("No run raised the held-out proxy above its base value.\n").toString();
        }
        double step = LineChart.niceStep(top, 6, false); // fine enough that a slow method reaches the first gains
        List<Double> gains = new ArrayList<>();
        for (int k = 1; k * step <= top + 1e-9; k++) { // a gain met to rounding counts as met
            gains.add(k * step);
        }
        b.append("| method |");
        gains.forEach(g -> b.append(String.format(Locale.ROOT, " proxy +%s |", trim(g))));
        b.append("\n|---|").append("---|".repeat(gains.size())).append('\n');
        Map<String, double[][]> atGain = new LinkedHashMap<>();
        for (Map.Entry<String, Curves> e : curves.entrySet()) {
            List<Map<String, double[]>> runs = e.getValue().evalBySeed();
            double[][] d = new double[gains.size()][runs.size()];
            b.append("| ").append(e.getKey()).append(" |");
            for (int k = 0; k < gains.size(); k++) {
                for (int r = 0; r < runs.size(); r++) {
                    d[k][r] = MatchedProxy.goldChangeAt(runs.get(r).get("proxy_mean"), runs.get(r).get("gold_strict_pass_rate"),
                            gains.get(k));
                }
                b.append(' ').append(interval(d[k])).append(" |");
            }
            b.append('\n');
            atGain.put(e.getKey(), d);
        }
        if (curves.size() > 1) {
            String baseline = curves.containsKey(BASELINE) ? BASELINE : curves.keySet().iterator().next();
            b.append("\nDifference from ").append(baseline).append(" at the same gain, paired by seed (positive: more gold "
                    + "kept than ").append(baseline).append("):\n\n| method |");
            gains.forEach(g -> b.append(String.format(Locale.ROOT, " proxy +%s |", trim(g))));
            b.append("\n|---|").append("---|".repeat(gains.size())).append('\n');
            double[][] base = atGain.get(baseline);
            for (Map.Entry<String, double[][]> e : atGain.entrySet()) {
                if (e.getKey().equals(baseline)) {
                    continue;
                }
                b.append("| ").append(e.getKey()).append(" |");
                for (int k = 0; k < gains.size(); k++) {
                    double[] diff = new double[base[k].length];
                    for (int r = 0; r < diff.length; r++) {
                        diff[r] = e.getValue()[k][r] - base[k][r];
                    }
                    b.append(' ').append(interval(diff)).append(" |");
                }
                b.append('\n');
            }
        }
        return b.toString();
    }

    /** Mean ± 95% t half-width of the finite values, their count in brackets; "not reached" when none. */
    static String interval(double[] values) {
        double[] v = Arrays.stream(values).filter(Double::isFinite).toArray();
        if (v.length == 0) {
            return "not reached";
        }
        double m = Arrays.stream(v).average().orElse(Double.NaN);
        if (v.length < 2) {
            return String.format(Locale.ROOT, "%+.3f (%d)", m, v.length);
        }
        double half = tCritical(v.length - 1) * PairedBootstrap.standardDeviation(v) / Math.sqrt(v.length);
        return String.format(Locale.ROOT, "%+.3f ± %.3f (%d)", m, half, v.length);
    }

    private static String trim(double v) {
        return new java.math.BigDecimal(String.format(Locale.ROOT, "%.6f", v)).stripTrailingZeros().toPlainString();
    }

    /** The two-sided 95% Student-t quantile; infinite for no degrees of freedom. */
    static double tCritical(int dof) {
        double[] t = {Double.POSITIVE_INFINITY, 12.706, 4.303, 3.182, 2.776, 2.571, 2.447, 2.365, 2.306, 2.262, 2.228};
        return dof < t.length ? t[Math.max(0, dof)] : 1.96 + 2.4 / dof; // within 0.01 of the exact value beyond 10
    }

    static void figure(ShapesTask task, Map<String, Curves> curves, int evalImages, Path file) throws IOException {
        Curves any = curves.values().iterator().next();
        int w = ShapesReport.window(any.trainEpochs().length);
        boolean several = any.evalBySeed().size() > 1;
        String seeds = several ? ", mean ± SD over seeds" : ", one seed";
        LineChart proxy = new LineChart(task.cliName() + ": proxy (" + task.proxyLabel() + ", training samples), " + w
                + "-epoch average" + seeds, "epoch", "proxy").integerX();
        LineChart gold = new LineChart(task.cliName() + ": gold strict pass rate (held-out)" + seeds, "epoch", "pass rate")
                .integerX().yRange(0, 1);
        LineChart vendi = new LineChart(task.cliName() + ": Vendi score within a prompt (held-out)" + seeds, "epoch", "Vendi")
                .integerX();
        LineChart frechet = new LineChart(task.cliName() + ": Frechet distance to real data (held-out, lower is closer)"
                + seeds, "epoch", "FD").integerX().yRange(0, Double.NaN);
        boolean unit = true;
        for (Map.Entry<String, Curves> e : curves.entrySet()) {
            Curves c = e.getValue();
            String name = e.getKey();
            proxy.add(name, c.trainEpochs(), c.proxyTrain(), c.proxyTrainSpread());
            unit &= Arrays.stream(c.proxyTrain()).filter(Double::isFinite).allMatch(v -> v >= 0 && v <= 1);
            gold.add(name, c.evalEpochs(), c.heldOut().get("gold_strict_pass_rate"), c.heldOutSpread().get("gold_strict_pass_rate"));
            vendi.add(name, c.evalEpochs(), c.heldOut().get("vendi_within_prompt"), c.heldOutSpread().get("vendi_within_prompt"));
            frechet.add(name, c.evalEpochs(), c.heldOut().get("frechet_to_real"), c.heldOutSpread().get("frechet_to_real"));
        }
        if (unit) {
            proxy.yRange(0, 1); // both tasks' proxies are scores in [0, 1]
        }
        vendi.yRange(1, evalImages); // its whole scale: from identical images to all different
        LineChart tradeOff = new LineChart(task.cliName() + ": gold against proxy (held-out, " + (several ? "mean over seeds "
                + "at each evaluation" : "at each evaluation") + "; dots: the frontier of every run's evaluations)", "proxy (held-out)", "gold strict pass rate")
                .yRange(0, 1);
        List<Double> allProxy = new ArrayList<>();
        List<Double> allGold = new ArrayList<>();
        for (Map.Entry<String, Curves> e : curves.entrySet()) {
            Curves c = e.getValue();
            tradeOff.add(e.getKey(), c.heldOut().get("proxy_mean"), c.heldOut().get("gold_strict_pass_rate"));
            for (Map<String, double[]> run : c.evalBySeed()) {
                Arrays.stream(run.get("proxy_mean")).forEach(allProxy::add);
                Arrays.stream(run.get("gold_strict_pass_rate")).forEach(allGold::add);
            }
        }
        double[][] front = MatchedProxy.frontier(allProxy.stream().mapToDouble(d -> d).toArray(),
                allGold.stream().mapToDouble(d -> d).toArray());
        tradeOff.add("frontier (all runs)", front[0], front[1], null, LineChart.Style.POINTS);
        LineChart.writeGrid(List.of(proxy, gold, vendi, frechet, tradeOff), 2, 760, 380, file);
    }

    private static double[] mean(List<Map<String, double[]>> runs, String key) {
        double[] out = new double[runs.get(0).get(key).length];
        for (Map<String, double[]> r : runs) {
            double[] v = r.get(key);
            if (v.length != out.length) {
                throw new IllegalStateException("runs of one comparison have different lengths for " + key
                        + "; were some made with other settings? Delete the comparison's runs folder and start again");
            }
            for (int i = 0; i < out.length; i++) {
                out[i] += v[i] / runs.size();
            }
        }
        return out;
    }

    private static double[] spread(List<Map<String, double[]>> runs, String key) {
        double[] out = new double[runs.get(0).get(key).length];
        for (int i = 0; i < out.length; i++) {
            final int at = i;
            out[i] = PairedBootstrap.standardDeviation(runs.stream().mapToDouble(r -> r.get(key)[at]).toArray());
        }
        return out;
    }

    private static double tailMean(double[] v, int n) {
        int k = Math.min(n, v.length);
        double s = 0;
        for (int i = v.length - k; i < v.length; i++) {
            s += v[i];
        }
        return s / k;
    }

    private static double[] change(Curves c, String key) {
        double[] first = c.firstBySeed().get(key);
        double[] last = c.lastBySeed().get(key);
        double[] d = new double[last.length];
        for (int i = 0; i < d.length; i++) {
            d[i] = last[i] - first[i];
        }
        return d;
    }

    /** Like {@link #stat} with a sign, so that a change reads as one. */
    static String signed(double[] v) {
        String s = stat(v);
        return s.startsWith("-") ? s : "+" + s;
    }

    /** Like {@link #stat} for values far below 1 (KL terms), in three significant digits. */
    static String small(double[] v) {
        return meanAndSpread(v, "%.3g");
    }

    /** @return the mean and the sample standard deviation, three decimals ("0.500" for one value) */
    static String stat(double[] v) {
        return meanAndSpread(v, "%.3f");
    }

    private static String meanAndSpread(double[] v, String format) {
        double m = Arrays.stream(v).average().orElse(Double.NaN);
        if (v.length < 2) {
            return String.format(Locale.ROOT, format, m);
        }
        double ss = Arrays.stream(v).map(x -> (x - m) * (x - m)).sum();
        return String.format(Locale.ROOT, format + " ± " + format, m, Math.sqrt(ss / (v.length - 1)));
    }
}
