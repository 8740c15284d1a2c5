package io.diffrl4j.examples.sd35;

import io.diffrl4j.examples.report.LineChart;
import io.diffrl4j.examples.report.MetricsCsv;
import io.diffrl4j.examples.report.PairedBootstrap;
import io.diffrl4j.examples.report.TrainingCurve;
import io.diffrl4j.core.train.LearningSignal;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The fine-tune's held-out evaluations ({@code eval.csv}), learning curves and Markdown summary. */
final class Sd35Report {
    /** {@code eval.csv}'s column prefix of one held-out prompt's mean reward ({@code prompt_1}, ...). */
    static final String PROMPT_COLUMN = "prompt_";

    private Sd35Report() {}

    static void writeEval(Path out, Map<String, List<Double>> eval) throws IOException {
        MetricsCsv.write(out.resolve("eval.csv"), eval);
    }

    /**
     * The held-out reward's change from epoch 0 to the last evaluation, with a 95% paired bootstrap
     * interval over the held-out prompts (the same prompts and noise before and after).
     */
    static String heldOutChange(Sd35Options o, Map<String, double[]> eval, String heldOutSet) {
        double[] held = eval.get("reward_mean");
        double[] evalEpochs = eval.get("epoch");
        int last = held.length - 1;
        List<double[]> prompts = new ArrayList<>();
        for (int p = 1; eval.containsKey(PROMPT_COLUMN + p); p++) {
            prompts.add(eval.get(PROMPT_COLUMN + p));
        }
        String head = String.format(Locale.ROOT, "- **Held-out reward** (`%s`, mean over the %s, the same noise before "
                + "and after, Euler ODE with %d steps): %s at epoch 0 (the starting policy) -> %s at epoch %d, change %s",
                o.reward(), heldOutSet, o.evalSteps(), TrainingCurve.num(held[0]), TrainingCurve.num(held[last]),
                Math.round(evalEpochs[last]), TrainingCurve.signed(held[last] - held[0]));
        if (prompts.size() < 2 || last == 0) {
            return head + " (no interval: fewer than two held-out prompts or a single evaluation).\n";
        }
        double[] before = new double[prompts.size()];
        double[] after = new double[prompts.size()];
        for (int p = 0; p < before.length; p++) {
            before[p] = prompts.get(p)[0];
            after[p] = prompts.get(p)[last];
        }
        PairedBootstrap.Interval ci = PairedBootstrap.meanDifference(before, after, PairedBootstrap.RESAMPLES,
                PairedBootstrap.SEED);
        String reading = ci.containsZero() ? "within the noise of " + before.length + " prompts"
                : ci.estimate() > 0 ? "rose" : "fell";
        return head + String.format(Locale.ROOT, " (95%% interval %s to %s, a paired bootstrap over the %d prompts): %s.%n",
                TrainingCurve.signed(ci.low()), TrainingCurve.signed(ci.high()), before.length, reading);
    }

    /**
     * @param o the run's options
     * @param seconds the run's wall time
     * @return the summary file, written with {@code curves-reward.png} and {@code curves-kl.png}
     */
    static Path write(Sd35Options o, double seconds) throws IOException {
        Map<String, double[]> train = MetricsCsv.read(o.out().resolve("metrics.csv"));
        Map<String, double[]> eval = MetricsCsv.read(o.out().resolve("eval.csv"));
        String rewardKey = train.keySet().stream().filter(k -> k.startsWith("reward/") && k.endsWith("/mean")).findFirst()
                .orElseThrow(() -> new IOException("metrics.csv has no reward/<name>/mean column"));
        double[] epochs = train.get("epoch").clone();
        for (int i = 0; i < epochs.length; i++) {
            epochs[i] += 1; // a training row describes the epoch that just ended
        }
        double[] reward = train.get(rewardKey);
        int w = TrainingCurve.window(reward.length);
        double[][] ma = TrainingCurve.movingAverage(reward, w);
        String heldOutSet = o.evalPrompts() + " held-out prompts x " + o.evalImages() + " images";
        new LineChart("Reward: training samples and held-out prompts (" + heldOutSet + ")", "epoch", o.reward()).integerX()
                .add("train per epoch (new prompts each epoch)", epochs, reward, null, LineChart.Style.POINTS)
                .add("train, " + w + "-epoch average ± s.e.", epochs, ma[0], ma[1])
                .add("held-out (same prompts and noise)", eval.get("epoch"), eval.get("reward_mean"))
                .write(o.out().resolve("curves-reward.png"), 980, 420);
        double[] kl = train.get("kl");
        if (kl != null) {
            new LineChart("KL to the reference (per epoch mean)", "epoch", "KL").integerX().yRange(0, Double.NaN)
                    .add("kl", epochs, kl)
                    .write(o.out().resolve("curves-kl.png"), 900, 320);
        }
        StringBuilder b = new StringBuilder();
        b.append("# SD3.5 fine-tune: ").append(o.method()).append(" on `").append(o.reward()).append("`\n\n");
        b.append(String.format(Locale.ROOT, "%s, %d epochs of %d prompts x %d images at %d px, seed %d, %.0f s.%n%n",
                o.model(), o.epochs(), o.promptsPerEpoch(), o.groupSize(), o.resolution(), o.seed(), seconds));
        b.append("## What changed\n\n");
        b.append(heldOutChange(o, eval, heldOutSet));
        b.append("- ").append(TrainingCurve.describe("**Training reward** (on the training samples; each epoch draws "
                + o.promptsPerEpoch() + " prompts, so single epochs differ by their prompts", reward)).append('\n');
        if (kl != null) {
            double[][] klw = TrainingCurve.movingAverage(kl, w);
            b.append(String.format(Locale.ROOT, "- **KL to the reference**, mean of the last %d epochs: %s ± %s (s.e.).%n", w,
                    TrainingCurve.num(klw[0][kl.length - 1]), TrainingCurve.num(klw[1][kl.length - 1])));
        }
        String signal = LearningSignal.describe(train, rewardKey);
        if (!signal.isEmpty()) {
            b.append("- ").append(signal).append('\n');
        }
        b.append("\nFiles: `config.json` (options and plan), `metrics.csv` / `metrics.jsonl` (training), `eval.csv`, "
                + "`curves-*.png`, `before.png` / `after.png` (the same prompts and seeds), `checkpoints/` (resume with "
                + "`--resume`), `lora/peft/` (PEFT adapter) and `lora/diffusers/pytorch_lora_weights.safetensors` "
                + "(`pipe.load_lora_weights`).\n");
        Path file = o.out().resolve("summary.md");
        Files.writeString(file, b.toString());
        return file;
    }
}
