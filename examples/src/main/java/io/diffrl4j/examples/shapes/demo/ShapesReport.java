package io.diffrl4j.examples.shapes.demo;

import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.examples.report.ImageGrid;
import io.diffrl4j.examples.report.LineChart;
import io.diffrl4j.examples.report.MetricsCsv;
import io.diffrl4j.examples.report.PairedBootstrap;
import io.diffrl4j.examples.report.PairedJackknife;
import io.diffrl4j.examples.report.TrainingCurve;
import io.diffrl4j.examples.shapes.GenEvalResult;
import io.diffrl4j.examples.shapes.ShapesEvaluation;
import io.diffrl4j.rewards.metrics.FrechetDistance;
import io.diffrl4j.rewards.metrics.VendiScore;
import io.diffrl4j.core.train.LearningSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The demo's figures and Markdown summary, from {@code metrics.csv} and the held-out evaluations.
 *
 * <p>Two kinds of noise are kept apart. Held-out numbers are measured on the same prompts with the
 * same noise before and after, so their change gets a paired bootstrap interval over the prompts
 * ({@link PairedBootstrap}). The training reward is measured on different prompts every epoch (8
 * drawn from 96), so one epoch against another mostly compares prompts; it is read as a moving
 * average with its standard error ({@link TrainingCurve}), and the summary compares the first and
 * the last windows.
 */
final class ShapesReport {
    private ShapesReport() {}

    static int window(int epochs) {
        return TrainingCurve.window(epochs);
    }

    static double[][] movingAverage(double[] v, int w) {
        return TrainingCurve.movingAverage(v, w);
    }

    /** Writes {@code prompts.txt}: the held-out prompts, numbered in the grids' row order. */
    static void prompts(Path out, List<Prompt> prompts, int imagesPerPrompt) throws IOException {
        StringBuilder b = new StringBuilder("# held-out evaluation prompts (never trained on), in the row order of before.png / "
                + "after.png; " + imagesPerPrompt + " images each\n");
        for (int i = 0; i < prompts.size(); i++) {
            b.append(i + 1).append(". ").append(prompts.get(i).text()).append('\n');
        }
        Files.writeString(out.resolve("prompts.txt"), b.toString());
    }

    /** Writes one labelled grid: a row per held-out prompt, its images enlarged 3x, the prompt beside them. */
    static void grid(Path file, String title, ShapesEvaluation.Result r, int imagesPerPrompt) throws IOException {
        List<String> captions = new ArrayList<>();
        for (int i = 0; i < r.prompts().size(); i += imagesPerPrompt) {
            captions.add(r.prompts().get(i).text());
        }
        ImageGrid.writeLabelled(r.images(), captions, 3, title, file);
    }

    static void curves(Path out, String proxyLabel, String proxyKey, Map<String, List<Double>> eval, int evalPrompts,
            int evalImages) throws IOException {
        Map<String, double[]> train = MetricsCsv.read(out.resolve("metrics.csv"));
        double[] epochs = shift(train.get("epoch"));
        double[] evalEpochs = array(eval.get("epoch"));
        int w = window(epochs.length);
        double[] proxy = train.get(proxyKey);
        double[][] ma = movingAverage(proxy, w);
        String heldOut = evalPrompts + " held-out prompts x " + evalImages + " images";
        LineChart reward = new LineChart("Proxy reward (training samples) and gold pass rate (" + heldOut + ")", "epoch",
                "value").integerX()
                .add("proxy per epoch (new prompts each epoch)", epochs, proxy, null, LineChart.Style.POINTS)
                .add("proxy, " + w + "-epoch average ± s.e.", epochs, ma[0], ma[1])
                .add("gold: strict pass rate (held-out)", evalEpochs, array(eval.get("gold_strict_pass_rate")));
        List<double[]> shown = new ArrayList<>(List.of(proxy));
        for (String aux : List.of("palette_fidelity", "shape_regularity")) {
            double[] v = train.get("reward/" + aux + "/mean");
            if (v != null) {
                reward.add("auxiliary: " + aux.replace('_', ' ') + ", " + w + "-epoch average", epochs, movingAverage(v, w)[0]);
                shown.add(v);
            }
        }
        if (shown.stream().flatMapToDouble(Arrays::stream).filter(Double::isFinite).allMatch(v -> v >= 0 && v <= 1)) {
            reward.yRange(0, 1); // rewards that are scores in [0, 1] on their whole scale
        }
        reward.write(out.resolve("curves-reward.png"), 980, 420);
        new LineChart("KL to the reference (per epoch mean; proxy: " + proxyLabel + ")", "epoch", "KL").integerX()
                .yRange(0, Double.NaN)
                .add("kl", epochs, train.getOrDefault("kl", nan(epochs)))
                .write(out.resolve("curves-kl.png"), 900, 320);
        new LineChart("Held-out diversity: Vendi score within a prompt's " + evalImages + " images (1 = identical, " + evalImages
                + " = all different)", "epoch", "Vendi").integerX().yRange(1, evalImages)
                .add("vendi (" + heldOut + ")", evalEpochs, array(eval.get("vendi_within_prompt")))
                .write(out.resolve("curves-diversity.png"), 900, 320);
        new LineChart("Held-out Frechet distance of embeddings to real data (lower is closer)", "epoch", "FD").integerX()
                .yRange(0, Double.NaN)
                .add("frechet (" + heldOut + ")", evalEpochs, array(eval.get("frechet_to_real")))
                .write(out.resolve("curves-frechet.png"), 900, 320);
    }

    /** A held-out metric before and after, with its paired interval; {@code higherIsBetter} gives the words. */
    record Change(String name, String unit, double before, double after, PairedBootstrap.Interval interval,
            boolean higherIsBetter) {
        String verdict() {
            double d = after - before;
            if (interval.containsZero()) {
                return "no clear change (within noise)";
            }
            return (d > 0 ? "rose" : "fell") + " (" + ((d > 0) == higherIsBetter ? "better" : "worse") + ")";
        }
    }

    /**
     * The paired changes of the held-out metrics, per prompt (the gold pass rate and proxy as
     * per-prompt means, Vendi per prompt, the Frechet distance recomputed on resampled prompts).
     */
    static List<Change> changes(ShapesDemo.Options o, ShapesDemo.Evaluation before, ShapesDemo.Evaluation after,
            float[][] real) {
        int g = o.evalImages();
        List<Change> out = new ArrayList<>();
        double[] passB = perPrompt(strict(before.result()), g);
        double[] passA = perPrompt(strict(after.result()), g);
        String images = o.evalPrompts() * o.evalImages() + " images (" + o.evalPrompts() + " prompts x " + o.evalImages() + ")";
        out.add(new Change("gold: strict GenEval pass rate", "share of the " + images + " that pass the checker's strict rule",
                before.result().strictRate(),
                after.result().strictRate(), PairedBootstrap.meanDifference(passB, passA, PairedBootstrap.RESAMPLES,
                        PairedBootstrap.SEED), true));
        if (o.reward() != null || o.task() != ShapesTask.GENEVAL) {
            out.add(new Change("gold: mean GenEval partial score", "the checker's score, mean over the " + images, before.result().meanScore(),
                    after.result().meanScore(), PairedBootstrap.meanDifference(perPrompt(score(before.result()), g),
                            perPrompt(score(after.result()), g), PairedBootstrap.RESAMPLES, PairedBootstrap.SEED), true));
        }
        out.add(new Change("proxy reward", o.proxyLabel() + ", mean over the " + images, before.proxy(), after.proxy(),
                PairedBootstrap.meanDifference(perPrompt(before.proxyScores(), g), perPrompt(after.proxyScores(), g),
                        PairedBootstrap.RESAMPLES, PairedBootstrap.SEED), true));
        double[] vendiB = VendiScore.perGroup(before.features(), g);
        double[] vendiA = VendiScore.perGroup(after.features(), g);
        out.add(new Change("within-prompt Vendi diversity", "1 = a prompt's " + g + " images identical, " + g + " = all different; mean over the prompts",
                before.vendi(), after.vendi(), PairedBootstrap.meanDifference(vendiB, vendiA, PairedBootstrap.RESAMPLES,
                        PairedBootstrap.SEED), true));
        int prompts = passB.length;
        // a jackknife: 2 x 33 distances; the bootstrap's 2 x 200 took 12 s of a 2-core demo (measured)
        PairedBootstrap.Interval fd = PairedJackknife.of(prompts, idx -> FrechetDistance.compute(rows(after.features(), idx, g),
                real) - FrechetDistance.compute(rows(before.features(), idx, g), real));
        out.add(new Change("Frechet distance to data", "of the " + images + " to " + real.length + " real scenes, lower is closer", before.frechet(), after.frechet(),
                fd, false));
        return out;
    }

    static Path summary(ShapesDemo.Options o, String proxyKey, Map<String, List<Double>> eval, String deviations,
            double seconds, List<Change> changes) throws IOException {
        Map<String, double[]> train = MetricsCsv.read(o.out().resolve("metrics.csv"));
        List<Double> evalEpochs = eval.get("epoch");
        long lastEpoch = Math.round(evalEpochs.get(evalEpochs.size() - 1));
        String heldOut = String.format(Locale.ROOT, "%d held-out evaluation prompts x %d images = %d images", o.evalPrompts(),
                o.evalImages(), o.evalPrompts() * o.evalImages());
        StringBuilder b = new StringBuilder();
        b.append("# Shapes world: ").append(o.method()).append(o.reward() == null ? " on the " + o.task().cliName() + " task"
                : " with the proxy reward `" + o.reward() + "`").append("\n\n");
        b.append(String.format(Locale.ROOT, "%d epochs of %d prompts x %d images, seed %d, %.0f s on this machine.%n%n",
                o.epochs(), o.prompts(), o.groupSize(), o.seed(), seconds));
        b.append("## What changed\n\n");
        b.append(String.format(Locale.ROOT, "Held-out evaluation: the %s (the prompts are never trained on and are listed "
                + "in `prompts.txt`), the same noise before and after (seed %d), Euler ODE, 20 steps, CFG %s. Before is the "
                + "base model (epoch 0), after is epoch %d. Each change has a 95%% interval from a paired bootstrap over the %d "
                + "prompts (%d resamples, fixed seed; for the Frechet distance, a set statistic, a leave-one-prompt-out "
                + "jackknife, ± 1.96 standard errors): a change whose interval contains 0 is within the noise of %d prompts."
                + "%n%n", heldOut, o.seed() + 1000, ShapesEvaluation.GUIDANCE, lastEpoch, o.evalPrompts(),
                PairedBootstrap.RESAMPLES, o.evalPrompts()));
        for (Change c : changes) {
            b.append(String.format(Locale.ROOT, "- **%s** (%s): %s -> %s, %s: %s.%n", c.name(), c.unit(), num(c.before()),
                    num(c.after()), interval(c.interval()), c.verdict()));
        }
        b.append('\n').append(inShort(changes)).append('\n');
        if (o.reward() == null && o.task() == ShapesTask.GENEVAL) {
            b.append("\nOn the geneval task the proxy reward is the checker's mean partial score (GenEval's score) on the same "
                    + "images, so it is also the gold's mean score; the strict pass rate counts only the images that satisfy "
                    + "every part of their prompt.\n");
        }
        b.append('\n').append(trainingReward(o, train.get(proxyKey)));
        double[] kl = train.get("kl");
        if (kl != null) {
            int w = window(kl.length);
            double[][] ma = movingAverage(kl, w);
            b.append(String.format(Locale.ROOT, " KL to the reference, mean of the last %d epochs: %s ± %s (s.e.).",
                    w, num(ma[0][kl.length - 1]), num(ma[1][kl.length - 1])));
        }
        String signal = LearningSignal.describe(train, proxyKey);
        if (!signal.isEmpty()) {
            b.append("\n\n").append(signal);
        }
        b.append("\n\n| held-out metric (").append(o.evalPrompts()).append(" prompts x ").append(o.evalImages())
                .append(" images) | before (epoch 0) | after (epoch ").append(lastEpoch).append(") | change | 95% interval | reading |\n");
        b.append("|---|---|---|---|---|---|\n");
        for (Change c : changes) {
            b.append(String.format(Locale.ROOT, "| %s | %s | %s | %s | %s to %s | %s |%n", c.name(), num(c.before()), num(c.after()),
                    signed(c.interval().estimate()), signed(c.interval().low()), signed(c.interval().high()), c.verdict()));
        }
        b.append("\nDeviations from the papers' defaults for a 2-core CPU budget: ").append(deviations).append(".\n\n");
        b.append("Files: `metrics.csv` and `events.out.tfevents.*` (training, per epoch; the latter for TensorBoard), `eval.csv` (held-out, every ").append(o.evalEvery())
                .append(" epochs), `curves-*.png`, `before.png` / `after.png` (the same prompts and noise, one row per prompt, "
                        + "numbered as in `prompts.txt`), `config.json`.\n");
        Path file = o.out().resolve("summary.md");
        Files.writeString(file, b.toString());
        writeChanges(o.out().resolve(CHANGES), changes);
        return file;
    }

    /** The file beside {@code summary.md} that holds its held-out changes for other reports to read. */
    static final String CHANGES = "changes.csv";

    /**
     * Writes the held-out changes, one row each: name, before, after, the interval's estimate, low
     * and high, and whether higher is better.
     */
    static void writeChanges(Path file, List<Change> changes) throws IOException {
        StringBuilder b = new StringBuilder("metric,before,after,change,low,high,higher_is_better\n");
        for (Change c : changes) {
            if (c.name().contains(",")) {
                throw new IllegalArgumentException("a metric name with a comma: " + c.name());
            }
            b.append(String.format(Locale.ROOT, "%s,%s,%s,%s,%s,%s,%s%n", c.name(), c.before(), c.after(),
                    c.interval().estimate(), c.interval().low(), c.interval().high(), c.higherIsBetter()));
        }
        Files.writeString(file, b.toString());
    }

    /**
     * @param file a {@link #CHANGES} file
     * @return its rows, in order
     * @throws IOException when it cannot be read or a row is malformed
     */
    static List<Change> readChanges(Path file) throws IOException {
        List<String> lines = Files.readAllLines(file);
        List<Change> out = new ArrayList<>();
        for (int i = 1; i < lines.size(); i++) {
            String[] f = lines.get(i).split(",", -1);
            if (f.length != 7) {
                throw new IOException(file + " line " + (i + 1) + ": 7 fields expected, got " + f.length);
            }
            try {
                out.add(new Change(f[0], "", Double.parseDouble(f[1]), Double.parseDouble(f[2]),
                        new PairedBootstrap.Interval(Double.parseDouble(f[3]), Double.parseDouble(f[4]),
                                Double.parseDouble(f[5]), Double.NaN), Boolean.parseBoolean(f[6])));
            } catch (NumberFormatException e) {
                throw new IOException(file + " line " + (i + 1) + ": " + e.getMessage(), e);
            }
        }
        return out;
    }

    /** The training reward in words: first window against last window, never one epoch against another. */
    static String trainingReward(ShapesDemo.Options o, double[] proxy) {
        return TrainingCurve.describe("Training reward (" + o.proxyLabel() + " on the training samples; each epoch draws "
                + o.prompts() + " different training prompts, so single epochs differ by their prompts", proxy);
    }

    /** One sentence: which held-out metrics got better, which worse, which stayed within noise. */
    static String inShort(List<Change> changes) {
        List<String> better = new ArrayList<>();
        List<String> worse = new ArrayList<>();
        List<String> flat = new ArrayList<>();
        for (Change c : changes) {
            if (c.interval().containsZero()) {
                flat.add(c.name());
            } else if ((c.after() > c.before()) == c.higherIsBetter()) {
                better.add(c.name());
            } else {
                worse.add(c.name());
            }
        }
        return "In short: better: " + listOrNone(better) + "; worse: " + listOrNone(worse) + "; within noise: "
                + listOrNone(flat) + ".";
    }

    private static String listOrNone(List<String> names) {
        return names.isEmpty() ? "none" : String.join(", ", names);
    }

    private static String interval(PairedBootstrap.Interval ci) {
        return String.format(Locale.ROOT, "change %s (95%% interval %s to %s)", signed(ci.estimate()), signed(ci.low()),
                signed(ci.high()));
    }

    private static double[] strict(ShapesEvaluation.Result r) {
        return r.results().stream().mapToDouble(x -> x.strict() ? 1 : 0).toArray();
    }

    private static double[] score(ShapesEvaluation.Result r) {
        return r.results().stream().mapToDouble(GenEvalResult::score).toArray();
    }

    /** Means of consecutive groups of {@code g} values (the images of one prompt). */
    static double[] perPrompt(double[] perImage, int g) {
        double[] out = new double[perImage.length / g];
        for (int i = 0; i < out.length; i++) {
            for (int k = 0; k < g; k++) {
                out[i] += perImage[i * g + k] / g;
            }
        }
        return out;
    }

    private static float[][] rows(float[][] features, int[] prompts, int g) {
        float[][] out = new float[prompts.length * g][];
        int k = 0;
        for (int p : prompts) {
            for (int j = 0; j < g; j++) {
                out[k++] = features[p * g + j];
            }
        }
        return out;
    }

    static String num(double v) {
        return TrainingCurve.num(v);
    }

    static String signed(double v) {
        return TrainingCurve.signed(v);
    }

    private static double[] shift(double[] epochs) {
        double[] out = epochs.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] += 1; // a training row describes the epoch that just ended
        }
        return out;
    }

    private static double[] array(List<Double> v) {
        return v.stream().mapToDouble(Double::doubleValue).toArray();
    }

    private static double[] nan(double[] like) {
        double[] out = new double[like.length];
        Arrays.fill(out, Double.NaN);
        return out;
    }
}
