package io.diffrl4j.examples.shapes.demo;

import io.diffrl4j.examples.report.LineChart;
import io.diffrl4j.examples.report.MetricsCsv;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/** The demo's figures and Markdown summary, from {@code metrics.csv} and the held-out evaluations. */
final class ShapesReport {
    private ShapesReport() {}

    static void curves(Path out, String proxyLabel, String proxyKey, Map<String, List<Double>> eval) throws IOException {
        Map<String, double[]> train = MetricsCsv.read(out.resolve("metrics.csv"));
        double[] epochs = shift(train.get("epoch"));
        double[] evalEpochs = array(eval.get("epoch"));
        new LineChart("Proxy reward (training samples) and gold pass rate (held-out prompts)", "epoch", "value")
                .add("proxy: " + proxyLabel + " (train)", epochs, train.get(proxyKey))
                .add("gold: strict pass rate (eval)", evalEpochs, array(eval.get("gold_strict_pass_rate")))
                .add("auxiliary: palette fidelity", epochs, train.getOrDefault("reward/palette_fidelity/mean", nan(epochs)))
                .add("auxiliary: shape regularity", epochs, train.getOrDefault("reward/shape_regularity/mean", nan(epochs)))
                .write(out.resolve("curves-reward.png"), 900, 420);
        new LineChart("KL to the reference (per epoch mean)", "epoch", "KL")
                .add("kl", epochs, train.getOrDefault("kl", nan(epochs)))
                .write(out.resolve("curves-kl.png"), 900, 320);
        new LineChart("Held-out diversity: Vendi score within a prompt's images",
                "epoch", "Vendi")
                .add("vendi", evalEpochs, array(eval.get("vendi_within_prompt")))
                .write(out.resolve("curves-diversity.png"), 900, 320);
        new LineChart("Held-out Frechet distance of embeddings to real data (lower is closer)", "epoch", "FD")
                .add("frechet", evalEpochs, array(eval.get("frechet_to_real")))
                .write(out.resolve("curves-frechet.png"), 900, 320);
    }

    static Path summary(ShapesDemo.Options o, String proxyKey, Map<String, List<Double>> eval, String deviations,
            double seconds) throws IOException {
        Map<String, double[]> train = MetricsCsv.read(o.out().resolve("metrics.csv"));
        double[] proxy = train.get(proxyKey);
        StringBuilder b = new StringBuilder();
        b.append("# Shapes world: ").append(o.method()).append(o.reward() == null ? " on the " + o.task().cliName() + " task"
                : " with the proxy reward `" + o.reward() + "`").append("\n\n");
        b.append(String.format(Locale.ROOT, "%d epochs of %d prompts x %d images, seed %d, %.0f s on this machine.%n%n",
                o.epochs(), o.prompts(), o.groupSize(), o.seed(), seconds));
        b.append("| metric | start | end |\n|---|---|---|\n");
        b.append(row("proxy reward: " + o.proxyLabel() + " on training samples (first / last epoch)", proxy[0],
                proxy[proxy.length - 1]));
        for (String k : List.of("proxy_mean", "gold_strict_pass_rate", "gold_mean_score", "vendi_within_prompt",
                "frechet_to_real")) {
            List<Double> v = eval.get(k);
            b.append(row(label(k), v.get(0), v.get(v.size() - 1)));
        }
        double[] kl = train.get("kl");
        if (kl != null) {
            b.append(row("KL to the reference (first / last epoch)", kl[0], kl[kl.length - 1]));
        }
        b.append("\nHeld-out numbers use ").append(o.evalPrompts()).append(" evaluation prompts (never trained on) x ")
                .append(o.evalImages()).append(" images with fixed seeds, the Euler ODE sampler (CFG ")
                .append(io.diffrl4j.examples.shapes.ShapesEvaluation.GUIDANCE).append(").\n");
        b.append("Deviations from the papers' defaults for a 2-core CPU budget: ").append(deviations).append(".\n\n");
        b.append("Files: `metrics.csv` (training, per epoch), `eval.csv` (held-out), `curves-*.png`, `before.png` / "
                + "`after.png` (the same prompts and seeds, one row per 4 prompts), `config.json`.\n");
        Path file = o.out().resolve("summary.md");
        Files.writeString(file, b.toString());
        return file;
    }

    private static String label(String key) {
        return switch (key) {
            case "proxy_mean" -> "proxy reward on the held-out images";
            case "gold_strict_pass_rate" -> "gold: strict GenEval pass rate on held-out prompts";
            case "gold_mean_score" -> "gold: mean GenEval score on held-out prompts";
            case "vendi_within_prompt" -> "held-out diversity: Vendi score within a prompt";
            case "frechet_to_real" -> "held-out Frechet distance to real data";
            default -> key;
        };
    }

    private static String row(String name, double start, double end) {
        return String.format(Locale.ROOT, "| %s | %.4g | %.4g |%n", name, start, end);
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
