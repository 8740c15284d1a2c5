package io.diffrl4j.examples.sd35;

import io.diffrl4j.examples.report.LineChart;
import io.diffrl4j.examples.report.MetricsCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The fine-tune's held-out evaluations ({@code eval.csv}), learning curves and Markdown summary. */
final class Sd35Report {
    private Sd35Report() {}

    static void writeEval(Path out, Map<String, List<Double>> eval) throws IOException {
        MetricsCsv.write(out.resolve("eval.csv"), eval);
    }

    /** Reads the evaluations of a resumed run back, so that its curves start at epoch 0. */
    static void readEval(Path out, Map<String, List<Double>> eval) throws IOException {
        Path file = out.resolve("eval.csv");
        if (!Files.exists(file)) {
            return;
        }
        MetricsCsv.read(file).forEach((k, v) -> {
            List<Double> col = eval.computeIfAbsent(k, x -> new ArrayList<>());
            for (double d : v) {
                col.add(d);
            }
        });
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
        new LineChart("Reward: training samples and held-out prompts", "epoch", o.reward())
                .add("train (" + rewardKey + ")", epochs, reward)
                .add("held-out", eval.get("epoch"), eval.get("reward_mean"))
                .write(o.out().resolve("curves-reward.png"), 900, 420);
        double[] kl = train.get("kl");
        if (kl != null) {
            new LineChart("KL to the reference (per epoch mean)", "epoch", "KL").add("kl", epochs, kl)
                    .write(o.out().resolve("curves-kl.png"), 900, 320);
        }
        double[] held = eval.get("reward_mean");
        StringBuilder b = new StringBuilder();
        b.append("# SD3.5 fine-tune: ").append(o.method()).append(" on `").append(o.reward()).append("`\n\n");
        b.append(String.format(Locale.ROOT, "%s, %d epochs of %d prompts x %d images at %d px, seed %d, %.0f s.%n%n",
                o.model(), o.epochs(), o.promptsPerEpoch(), o.groupSize(), o.resolution(), o.seed(), seconds));
        b.append("| metric | start | end |\n|---|---|---|\n");
        b.append(String.format(Locale.ROOT, "| reward on training samples (first / last epoch) | %.4g | %.4g |%n", reward[0],
                reward[reward.length - 1]));
        b.append(String.format(Locale.ROOT, "| reward on the held-out prompts (before / after) | %.4g | %.4g |%n", held[0],
                held[held.length - 1]));
        if (kl != null) {
            b.append(String.format(Locale.ROOT, "| KL to the reference (first / last epoch) | %.4g | %.4g |%n", kl[0],
                    kl[kl.length - 1]));
        }
        b.append(String.format(Locale.ROOT, "%nHeld-out: %d prompts x %d images with fixed seeds, Euler ODE with %d steps.%n",
                o.evalPrompts(), o.evalImages(), o.evalSteps()));
        b.append("\nFiles: `config.json` (options and plan), `metrics.csv` / `metrics.jsonl` (training), `eval.csv`, "
                + "`curves-*.png`, `before.png` / `after.png` (the same prompts and seeds), `checkpoints/` (resume with "
                + "`--resume`), `lora/peft/` (PEFT adapter) and `lora/diffusers/pytorch_lora_weights.safetensors` "
                + "(`pipe.load_lora_weights`).\n");
        Path file = o.out().resolve("summary.md");
        Files.writeString(file, b.toString());
        return file;
    }
}
