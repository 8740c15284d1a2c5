package io.diffrl4j.examples.sd35;

import ai.djl.Device;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.adapter.AdapterFiles;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.models.sd3.Sd3PromptEncoder;
import io.diffrl4j.models.sd3.StableDiffusion3Folder;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.ConsoleProgress;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.MetricsLogger;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.core.train.TrainingListener;
import io.diffrl4j.core.train.tensorboard.EventFileWriter;
import io.diffrl4j.core.train.tensorboard.TensorBoardLogger;
import io.diffrl4j.models.vae.AutoencoderKL;
import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.OutputFolder;
import io.diffrl4j.examples.cli.RunHistory;
import io.diffrl4j.examples.report.ImageGrid;
import io.diffrl4j.rewards.clip.ClipImageEmbedder;
import io.diffrl4j.rewards.registry.RewardRegistry;
import io.diffrl4j.rewards.registry.RewardSpec;
import io.diffrl4j.samplers.TrajectorySampler;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code sd35-finetune}: fine-tunes a Stable Diffusion 3.5 pipeline folder with one of the
 * library's methods on rewards by name, on the GPU when DJL sees one (fp16 base, fp32 LoRA and
 * optimizer state) and otherwise on the CPU in fp32.
 *
 * <pre>
 * bin/sd35-finetune --model /models/stable-diffusion-3.5-medium --method gardo --reward ocr \
 *     --prompts ocr/train.txt --out runs/ocr-gardo [--dry-run] [--resume | --overwrite] [--config run.json]
 * </pre>
 *
 * {@code --help} lists every option with its description and SD3.5-Medium default (docs/ALGORITHMS.md
 * sections 7.7 and 9). With no {@code --auxiliary-rewards}, GARDO's gate compares the reward with
 * {@value Sd35Options#DEFAULT_AUXILIARY_REWARDS}, which needs no weights (the paper's Aesthetic and
 * ImageReward need theirs: {@code --auxiliary-rewards aesthetic=DIR}).
 *
 * <p>The run: the plan ({@link Sd35Plan}, which {@code --dry-run} prints and stops at); every
 * prompt encoded once and cached, the text encoders released; the transformer and VAE loaded;
 * the held-out prompts sampled before training ({@code before.png}); training with metrics
 * ({@code metrics.csv}), evaluations ({@code eval.csv}) and checkpoints ({@code checkpoints/},
 * which {@code --resume} continues from); the trained LoRA exported for PEFT and for diffusers
 * ({@code lora/}); {@code after.png}, {@code curves-*.png} and {@code summary.md}.
 */
public final class Sd35Finetune {
    private static final Logger LOG = LoggerFactory.getLogger(Sd35Finetune.class);

    private Sd35Finetune() {}

    /** @param args see {@code bin/sd35-finetune --help} */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Path.of("").toAbsolutePath()));
    }

    /**
     * The command: parses, checks the output folder (not for a dry run, which writes nothing),
     * trains, prints the summary.
     *
     * @param args the command line
     * @param out where the plan, the progress, the summary and the usage go
     * @param err where errors go
     * @param cwd the directory relative paths resolve against
     * @return the exit status: 0 done (or help, or a dry run), 1 a failure, 2 a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Path cwd) {
        return Sd35Options.COMMAND_LINE.execute(args, cwd, out, err, parsed -> {
            Arguments a = Sd35Options.withConfig(parsed);
            Sd35Options o = Sd35Options.of(a);
            if (!o.dryRun()) {
                OutputFolder.Mode mode = OutputFolder.check(a, "out", o.out());
                requireInputs(o); // before the output folder is made, so that a typo leaves nothing behind
                OutputFolder.prepare(o.out(), mode, a.cwd());
            }
            Path summary = run(o, out);
            if (summary != null) {
                out.println(Files.readString(summary));
                out.println("Report written to " + o.out());
            }
            return 0;
        });
    }

    private static void requireInputs(Sd35Options o) throws IOException {
        Map<String, Path> folders = new LinkedHashMap<>();
        folders.put("--model", o.model());
        folders.put("--embedder", o.embedder());
        Map<String, Path> files = new LinkedHashMap<>();
        files.put("--prompts", o.prompts());
        files.put("--eval-prompt-file", o.evalPromptFile());
        for (Map.Entry<String, Path> e : folders.entrySet()) {
            if (e.getValue() != null && !Files.isDirectory(e.getValue())) {
                throw new IOException(e.getKey() + " " + e.getValue() + ": no such folder");
            }
        }
        for (Map.Entry<String, Path> e : files.entrySet()) {
            if (e.getValue() != null && !Files.isRegularFile(e.getValue())) {
                throw new IOException(e.getKey() + " " + e.getValue() + ": no such file");
            }
        }
        if (o.initLora() != null && !Files.exists(o.initLora())) {
            throw new IOException("--init-lora " + o.initLora() + ": no such file or folder");
        }
    }

    /**
     * @param o the options
     * @param console where the plan and the progress bar go
     * @return the summary file, or null after a dry run
     * @throws IOException when the folder, prompts or weights cannot be read, or the report written
     */
    public static Path run(Sd35Options o, PrintStream console) throws IOException {
        long t0 = System.nanoTime();
        StableDiffusion3Folder folder = StableDiffusion3Folder.open(o.model());
        List<Prompt> prompts = PromptFiles.read(o.prompts());
        List<Prompt> evalSource = o.evalPromptFile() == null ? prompts : PromptFiles.read(o.evalPromptFile());
        List<Prompt> evalPrompts = evalSource.subList(0, Math.min(o.evalPrompts(), evalSource.size()));
        int pixelsPerPatch = folder.vaeConfig().downscaleFactor() * folder.transformerConfig().patchSize();
        if (o.resolution() % pixelsPerPatch != 0) {
            throw new IllegalArgumentException("--resolution " + o.resolution() + " must be a multiple of " + pixelsPerPatch
                    + " (the VAE's downscale factor times the patch size)");
        }
        Device device = Engine.getInstance().defaultDevice();
        boolean half = o.dtype().equals("fp16") || o.dtype().equals("auto") && device.isGpu();
        DataType dtype = half ? DataType.FLOAT16 : DataType.FLOAT32;
        try (ClipImageEmbedder embedder = o.embedder() == null ? null : ClipImageEmbedder.open(o.embedder())) {
            Method method = Sd35Methods.named(o.method(), embedder, o.reward(), o.klBeta());
            Sd35Plan plan = Sd35Plan.of(o, folder, prompts.size(), evalPrompts.size(), half, device.toString(),
                    method.snapshots().size());
            plan.lines().forEach(console::println);
            if (o.method().equals("gardo") && embedder == null) {
                console.println("GARDO's diversity-aware advantages are off: give --embedder DIR (a CLIPModel folder) to use them");
            }
            if (o.dryRun()) {
                return null;
            }
            Files.createDirectories(o.out());
            writeConfig(o, method, plan);
            try (NDManager root = NDManager.newBaseManager(device);
                    Sd3PromptEncoder text = Sd3PromptEncoder.builder(folder).optClipDtype(dtype).optCacheDtype(dtype)
                            .optMaxCachedPrompts(plan.cacheAllPrompts() ? Integer.MAX_VALUE : plan.cacheCapacity())
                            .build(root)) {
                if (plan.cacheAllPrompts()) {
                    encodeAll(text, prompts, evalPrompts, root);
                    text.releaseEncoders();
                }
                logMemory("prompts encoded", device);
                LoraConfig lora = LoraConfig.builder().optRank(o.loraRank()).optAlpha(o.loraAlpha()).build();
                try (MmditModel model = folder.loadTransformer(lora, root, dtype);
                        AutoencoderKL vae = folder.loadVae(root, dtype)) {
                    logMemory("transformer and VAE loaded", device);
                    trainWithRewards(o, folder, model, vae, text, method, prompts, evalPrompts, console);
                }
            }
        }
        return Sd35Report.write(o, (System.nanoTime() - t0) / 1e9);
    }

    /** Makes the rewards, trains, and closes the rewards that hold resources. */
    private static void trainWithRewards(Sd35Options o, StableDiffusion3Folder folder, MmditModel model, AutoencoderKL vae,
            Sd3PromptEncoder text, Method method, List<Prompt> prompts, List<Prompt> evalPrompts, PrintStream console)
            throws IOException {
        List<RewardFunction> rewards = new ArrayList<>();
        try {
            rewards.add(RewardRegistry.standard().create(o.reward()));
            if (o.auxiliaryRewards() != null) {
                for (RewardSpec spec : RewardSpec.parseAll(o.auxiliaryRewards())) {
                    rewards.add(RewardRegistry.standard().create(spec.name() + spec.argument().map(a -> "=" + a).orElse("")));
                }
            }
            train(o, folder, model, vae, text, method, prompts, evalPrompts, rewards.get(0),
                    rewards.subList(1, rewards.size()), console);
        } finally {
            for (RewardFunction r : rewards) {
                RewardRegistry.close(r);
            }
        }
    }

    private static void train(Sd35Options o, StableDiffusion3Folder folder, MmditModel model, AutoencoderKL vae,
            Sd3PromptEncoder text, Method method, List<Prompt> prompts, List<Prompt> evalPrompts, RewardFunction reward,
            List<RewardFunction> auxiliaries, PrintStream console) throws IOException {
        int latent = o.resolution() / folder.vaeConfig().downscaleFactor();
        Shape sampleShape = new Shape(folder.vaeConfig().latentChannels(), latent, latent);
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(o.promptsPerEpoch()).optGroupSize(o.groupSize())
                .optPromptsPerSamplingBatch(o.samplingPrompts()).optImagesPerMicroBatch(o.imagesPerMicroBatch())
                .optOptimizerStepsPerEpoch(o.optimizerSteps()).optLearningRate(o.learningRate()).optSeed(o.seed()).build();
        TrajectorySampler evalSampler = Sd35Methods.evaluation(method, o.evalSteps());
        Map<String, List<Double>> eval = new LinkedHashMap<>();
        Evaluation[] last = new Evaluation[1];
        Path checkpoints = o.out().resolve("checkpoints");
        boolean resuming = o.resume() && Files.exists(checkpoints.resolve("latest"));
        if (o.initLora() != null && !resuming) {
            Path dir = Files.isRegularFile(o.initLora()) ? o.initLora().toAbsolutePath().getParent() : o.initLora();
            AdapterFiles.load(model.adapters(), AdapterRoles.POLICY, dir, true);
            console.println("policy LoRA initialised from " + o.initLora());
        }
        Trainer.Builder builder = Trainer.builder(model, method).optConfig(config).setPrompts(prompts).setTextEncoder(text)
                .optDecoder(vae).setSampleShape(sampleShape).setReward(reward);
        auxiliaries.forEach(builder::addAuxiliaryReward);
        try (EventFileWriter tensorboard = EventFileWriter.open(o.out());
                Trainer trainer = builder
                .addListener(new MetricsLogger(o.out()))
                .addListener(new TensorBoardLogger(tensorboard))
                .addListener(new CheckpointListener(checkpoints, o.checkpointEvery()))
                .addListener(evaluator(o, model, vae, text, evalSampler, evalPrompts, sampleShape, reward, eval, last))
                .addListener(new ConsoleProgress(console, o.epochs()))
                .build()) {
            if (resuming) {
                trainer.resume(checkpoints);
                console.println("resumed from " + checkpoints + " after epoch " + trainer.completedEpochs());
                // rows a killed run wrote after its last checkpoint are dropped: the resumed run writes them again
                RunHistory.restore(o.out(), trainer.completedEpochs(), eval);
            } else {
                // the starting policy: the base model (a fresh LoRA adds exactly zero) or --init-lora's
                Evaluation before = model.adapters().with(method.evaluationSet(),
                        () -> evaluate(o, model, vae, text, evalSampler, evalPrompts, sampleShape, reward));
                writePrompts(o.out(), evalPrompts, o.evalImages());
                writeGrid(o.out().resolve("before.png"), "before (epoch 0)", before, evalPrompts, o);
                tensorboard.addImage("eval/samples", 0, Files.readAllBytes(o.out().resolve("before.png")));
                record(eval, 0, before);
                Sd35Report.writeEval(o.out(), eval);
            }
            trainer.trainUntil(o.epochs());
            exportLora(model, method.evaluationSet(), o.out().resolve("lora"));
            // the last epoch was evaluated by the listener, unless a resumed run had none left to train
            Evaluation after = last[0] != null ? last[0] : model.adapters().with(method.evaluationSet(),
                    () -> evaluate(o, model, vae, text, evalSampler, evalPrompts, sampleShape, reward));
            writeGrid(o.out().resolve("after.png"), "after (epoch " + trainer.completedEpochs() + ")", after, evalPrompts, o);
            tensorboard.addImage("eval/samples", trainer.completedEpochs(), Files.readAllBytes(o.out().resolve("after.png")));
        }
    }

    private static TrainingListener evaluator(Sd35Options o, MmditModel model, AutoencoderKL vae, Sd3PromptEncoder text,
            TrajectorySampler sampler, List<Prompt> evalPrompts, Shape sampleShape, RewardFunction reward,
            Map<String, List<Double>> eval, Evaluation[] last) {
        return new TrainingListener() {
            @Override
            public void onEpochEnd(Trainer trainer, EpochReport report) {
                int done = report.epoch() + 1;
                if (done % o.evalEvery() == 0 || done == o.epochs()) {
                    Evaluation e = model.adapters().with(trainer.method().evaluationSet(),
                            () -> evaluate(o, model, vae, text, sampler, evalPrompts, sampleShape, reward));
                    record(eval, done, e);
                    last[0] = e;
                    try {
                        Sd35Report.writeEval(o.out(), eval);
                    } catch (IOException ex) {
                        throw new java.io.UncheckedIOException(ex);
                    }
                }
            }
        };
    }

    /**
     * Held-out images, their mean reward and each prompt's mean reward (which the summary's paired
     * interval resamples).
     */
    record Evaluation(ImageBatch images, double reward, double[] promptRewards) {}

    /** The held-out prompts, each with its own fixed noise, sampled one prompt at a time (bounded memory). */
    private static Evaluation evaluate(Sd35Options o, MmditModel model, AutoencoderKL vae, Sd3PromptEncoder text,
            TrajectorySampler sampler, List<Prompt> prompts, Shape sampleShape, RewardFunction reward) {
        List<float[]> pixels = new ArrayList<>();
        List<Prompt> perImage = new ArrayList<>();
        int[] chw = new int[3];
        SeededNoise noise = new SeededNoise(o.seed() + 1000);
        for (int i = 0; i < prompts.size(); i++) {
            try (NDManager m = NDManager.newBaseManager(Engine.getInstance().defaultDevice())) {
                List<String> one = List.of(prompts.get(i).text());
                Conditioning cond = text.encode(one, m);
                Conditioning uncond = text.unconditional(1, m);
                Rollout r = sampler.sample(m, model, cond, uncond, o.evalImages(), sampleShape, noise.fork(i));
                ImageBatch images = ImageBatch.fromArray(vae.decode(r.samples()));
                chw = new int[] {images.channels(), images.height(), images.width()};
                for (int k = 0; k < images.count(); k++) {
                    pixels.add(images.image(k));
                    perImage.add(prompts.get(i));
                }
            }
        }
        int size = chw[0] * chw[1] * chw[2];
        float[] all = new float[pixels.size() * size];
        for (int k = 0; k < pixels.size(); k++) {
            System.arraycopy(pixels.get(k), 0, all, k * size, size);
        }
        ImageBatch batch = new ImageBatch(all, pixels.size(), chw[0], chw[1], chw[2]);
        try {
            double[] scores = reward.score(batch, perImage);
            double[] perPrompt = new double[prompts.size()];
            int per = scores.length / prompts.size();
            for (int p = 0; p < perPrompt.length; p++) {
                perPrompt[p] = Arrays.stream(scores, p * per, (p + 1) * per).average().orElse(Double.NaN);
            }
            return new Evaluation(batch, Arrays.stream(scores).average().orElse(Double.NaN), perPrompt);
        } catch (Exception e) {
            throw new IllegalStateException("the reward " + reward.name() + " failed on the held-out images: " + e, e);
        }
    }

    private static void record(Map<String, List<Double>> eval, int epoch, Evaluation e) {
        eval.computeIfAbsent("epoch", k -> new ArrayList<>()).add((double) epoch);
        eval.computeIfAbsent("reward_mean", k -> new ArrayList<>()).add(e.reward());
        for (int p = 0; p < e.promptRewards().length; p++) {
            eval.computeIfAbsent(Sd35Report.PROMPT_COLUMN + (p + 1), k -> new ArrayList<>()).add(e.promptRewards()[p]);
        }
    }

    private static void encodeAll(Sd3PromptEncoder text, List<Prompt> prompts, List<Prompt> evalPrompts, NDManager root) {
        List<String> all = new ArrayList<>();
        prompts.forEach(p -> all.add(p.text()));
        evalPrompts.forEach(p -> all.add(p.text()));
        all.add("");
        long t = System.nanoTime();
        for (int from = 0; from < all.size(); from += 64) {
            try (NDManager s = root.newSubManager()) {
                text.encode(all.subList(from, Math.min(all.size(), from + 64)), s);
            }
        }
        LOG.info("encoded {} prompts in {} s", text.encodedPrompts(), String.format(Locale.ROOT, "%.1f", (System.nanoTime() - t) / 1e9));
    }

    /**
     * Writes the LoRA the method evaluates with ({@link Method#evaluationSet()}: its EMA when it keeps
     * one, as the references save with {@code ema.copy_ema_to}; else the policy) as a PEFT adapter
     * folder and as diffusers' pytorch_lora_weights.safetensors.
     */
    static void exportLora(MmditModel model, String set, Path dir) throws IOException {
        var policy = model.adapters().get(set);
        AdapterFiles.save(policy, model.adapters().config(), dir.resolve("peft"), AdapterFiles.Format.PEFT);
        AdapterFiles.save(policy, model.adapters().config(), dir.resolve("diffusers"), AdapterFiles.Format.DIFFUSERS);
    }

    /** The held-out prompts in the row order of before.png / after.png. */
    private static void writePrompts(Path out, List<Prompt> prompts, int imagesPerPrompt) throws IOException {
        StringBuilder b = new StringBuilder("# held-out evaluation prompts, in the row order of before.png / after.png; "
                + imagesPerPrompt + " images each, fixed noise\n");
        for (int i = 0; i < prompts.size(); i++) {
            b.append(i + 1).append(". ").append(prompts.get(i).text()).append('\n');
        }
        Files.writeString(out.resolve("prompts.txt"), b.toString());
    }

    /** One row per held-out prompt, captioned with the prompt. */
    private static void writeGrid(Path file, String title, Evaluation e, List<Prompt> prompts, Sd35Options o)
            throws IOException {
        ImageGrid.writeLabelled(e.images(), prompts.stream().map(Prompt::text).toList(), zoom(o), title, file);
    }

    private static int zoom(Sd35Options o) {
        return Math.max(1, 128 / o.resolution());
    }

    private static void writeConfig(Sd35Options o, Method method, Sd35Plan plan) throws IOException {
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.set("options", o.toJson());
        n.put("method", method.name());
        n.putPOJO("plan", plan.lines());
        Files.writeString(o.out().resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }

    private static void logMemory(String stage, Device device) {
        if (device.isGpu()) {
            var usage = ai.djl.util.cuda.CudaUtils.getGpuMemory(device);
            LOG.info("{}: GPU memory used {} MiB of {} MiB", stage, usage.getUsed() >> 20, usage.getMax() >> 20);
        } else {
            Runtime r = Runtime.getRuntime();
            LOG.info("{}: JVM heap used {} MiB (native tensors are not counted on the CPU)", stage,
                    (r.totalMemory() - r.freeMemory()) >> 20);
        }
    }
}
