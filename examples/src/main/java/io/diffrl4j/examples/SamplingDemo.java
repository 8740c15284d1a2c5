package io.diffrl4j.examples;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.FlowGrpoSdeStep;
import io.diffrl4j.core.sampling.RecordedStep;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.awt.image.BufferedImage;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import javax.imageio.ImageIO;

/**
 * The default main job until the Shapes world lands: builds a small random SD3.5-family MMDiT
 * with LoRA adapters, draws Flow-GRPO rollouts (SDE, CFG 4.5) and Flow-GRPO-Fast rollouts, an ODE
 * rollout, and writes what a trainer would see (log-probabilities per step, timings) to
 * {@code runs/sampling-demo/}: {@code summary.md} and {@code samples.png}.
 */
public final class SamplingDemo {
    private SamplingDemo() {}

    /** @param args optional output folder (default runs/sampling-demo) */
    public static void main(String[] args) throws IOException {
        Path out = Path.of(args.length > 0 ? args[0] : "runs/sampling-demo");
        Files.createDirectories(out);
        MmditConfig config = MmditConfig.builder().optSampleSize(16).optPatchSize(2).optInChannels(4).optNumLayers(4)
                .optAttentionHeadDim(32).optNumAttentionHeads(4).optJointAttentionDim(64).optCaptionProjectionDim(128)
                .optPooledProjectionDim(32).optOutChannels(4).optPosEmbedMaxSize(16)
                .optDualAttentionLayers(List.of(0, 1)).optQkNorm("rms_norm").build();
        StringBuilder report = new StringBuilder("# Sampling demo\n\n");
        try (NDManager root = NDManager.newBaseManager();
                MmditModel model = MmditModel.random(config, LoraConfig.builder().optRank(8).optAlpha(16).build(), root, 0)) {
            model.adapters().create("policy", true, new SeededNoise(1));
            model.adapters().use("policy");
            report.append(String.format(Locale.ROOT, "Model: %,d base parameters, %,d LoRA parameters on %d modules.%n%n",
                    model.parameterCount(), model.adapters().get("policy").parameterCount(),
                    model.adapters().moduleShapes().size()));
            SeededNoise text = new SeededNoise(2);
            int prompts = 2;
            int group = 4;
            Conditioning cond = Conditioning.of(text.normal(root, new Shape(prompts, 7, 64)), text.normal(root, new Shape(prompts, 32)));
            Conditioning uncond = Conditioning.of(root.zeros(new Shape(prompts, 7, 64)), root.zeros(new Shape(prompts, 32)));
            Shape latent = new Shape(4, 16, 16);
            report.append("| sampler | images | steps recorded | mean log-prob per step | seconds |\n|---|---|---|---|---|\n");
            TrajectorySampler[] samplers = {
                TrajectorySampler.builder().build(),
                TrajectorySampler.builder().optWindow(SdeWindow.random(2, 0, 6)).build(),
                TrajectorySampler.builder().optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).optGuidanceScale(1.0).build()
            };
            String[] names = {"Flow-GRPO SDE (a=0.7, CFG 4.5)", "Flow-GRPO-Fast window of 2", "Euler ODE (CFG 1)"};
            Rollout first = null;
            for (int s = 0; s < samplers.length; s++) {
                try (NDManager run = root.newSubManager()) {
                    long t0 = System.nanoTime();
                    Rollout r = samplers[s].sample(run, model, cond, uncond, group, latent, new SeededNoise(10 + s));
                    double seconds = (System.nanoTime() - t0) / 1e9;
                    StringBuilder logps = new StringBuilder();
                    for (RecordedStep step : r.steps()) {
                        logps.append(String.format(Locale.ROOT, "%.3f ", step.logProb().mean().getFloat()));
                    }
                    report.append(String.format(Locale.ROOT, "| %s | %d | %d | %s| %.2f |%n", names[s],
                            r.samples().getShape().get(0), r.steps().size(), logps.length() == 0 ? "- " : logps, seconds));
                    if (s == 0) {
                        writeGrid(r.samples(), out.resolve("samples.png"));
                    }
                }
            }
        }
        report.append("\nThe model is random (the Shapes world will ship a pretrained one), so the samples are "
                + "structured noise; the point is the full sampling path: CFG batched in one pass, SDE "
                + "log-probabilities, shared prefixes of fast windows.\n");
        Files.writeString(out.resolve("summary.md"), report.toString());
        System.out.println(report);
        System.out.println("Wrote " + out.toAbsolutePath().resolve("summary.md") + " and samples.png");
    }

    /** First three latent channels of every sample, min-max scaled, side by side, 8x enlarged. */
    private static void writeGrid(NDArray samples, Path file) throws IOException {
        int n = (int) samples.getShape().get(0);
        int h = (int) samples.getShape().get(2);
        int w = (int) samples.getShape().get(3);
        float[] v = samples.toFloatArray();
        float min = Float.MAX_VALUE;
        float max = -Float.MAX_VALUE;
        for (float f : v) {
            min = Math.min(min, f);
            max = Math.max(max, f);
        }
        int zoom = 8;
        BufferedImage img = new BufferedImage(n * w * zoom, h * zoom, BufferedImage.TYPE_INT_RGB);
        int c = (int) samples.getShape().get(1);
        for (int i = 0; i < n; i++) {
            for (int y = 0; y < h * zoom; y++) {
                for (int x = 0; x < w * zoom; x++) {
                    int rgb = 0;
                    for (int ch = 0; ch < 3; ch++) {
                        float f = v[((i * c + ch) * h + y / zoom) * w + x / zoom];
                        rgb = (rgb << 8) | Math.round(255 * (f - min) / (max - min));
                    }
                    img.setRGB(i * w * zoom + x, y, rgb);
                }
            }
        }
        ImageIO.write(img, "png", file.toFile());
    }
}
