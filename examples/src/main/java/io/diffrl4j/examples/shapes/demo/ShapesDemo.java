package io.diffrl4j.examples.shapes.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.ConsoleProgress;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.MetricsLogger;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.core.train.TrainingListener;
import io.diffrl4j.core.train.tensorboard.EventFileWriter;
import io.diffrl4j.core.train.tensorboard.TensorBoardLogger;
import io.diffrl4j.examples.ExampleRewards;
import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.CommandLine;
import io.diffrl4j.examples.cli.Option;
import io.diffrl4j.examples.cli.OutputFolder;
import io.diffrl4j.examples.cli.RunHistory;
import io.diffrl4j.examples.cli.UsageException;
import io.diffrl4j.examples.report.MetricsCsv;
import io.diffrl4j.examples.shapes.PromptGrammar;
import io.diffrl4j.examples.shapes.ShapesDataset;
import io.diffrl4j.examples.shapes.ShapesEvaluation;
import io.diffrl4j.examples.shapes.ShapesModel;
import io.diffrl4j.examples.shapes.rewards.ShapesEmbedder;
import io.diffrl4j.rewards.metrics.FrechetDistance;
import io.diffrl4j.rewards.metrics.VendiScore;
import io.diffrl4j.rewards.registry.RewardRegistry;
import io.diffrl4j.rewards.registry.RewardSpec;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The main job: fine-tunes the shipped Shapes base model with one method (GARDO by default) on one
 * task (the GenEval-like one by default, where the checker is the proxy reward; or the reward-model
 * over-optimisation one, see {@link ShapesTask}) and writes a report a person can look at:
 * {@code config.json}, {@code metrics.csv} / {@code metrics.jsonl} (training), {@code eval.csv}
 * (held-out: gold strict pass rate on the evaluation prompts, the proxy on the same images,
 * within-prompt Vendi diversity, Frechet distance of embeddings to real data), learning curves
 * ({@code curves-*.png}), image grids of the same prompts and seeds before and after
 * ({@code before.png}, {@code after.png}: a row per prompt, captioned, in the order of {@code
 * prompts.txt}), and {@code summary.md} (what changed, in words, with intervals). {@code --reward} trains on any
 * reward by name instead of the task's ({@link ExampleRewards}: {@code jpeg}, or {@code
 * geneval=http://127.0.0.1:18085} with a {@code ShapesGenEvalServer} running), the checker staying
 * the gold.
 *
 * <pre>
 * bin/demo [gardo|flow-grpo|flow-grpo-kl|diffusion-nft|crd] [--task geneval|reward-model] [--reward SPECS]
 *     [--epochs N] [--seed S] [--prompts N] [--group-size G] [--lr LR] [--out DIR] [--resume | --overwrite]
 * </pre>
 *
 * {@code bin/demo --help} lists every option with its default. The trainer is checkpointed after
 * every epoch, so {@code --resume} continues a stopped or killed run with the same numbers.
 */
public final class ShapesDemo {
    /**
     * Default prompts and images per prompt of the held-out evaluation: all 33 evaluation prompts x
     * 3 images, as the comparison (one definition of the held-out pass rate everywhere).
     */
    static final int EVAL_PROMPTS = PromptGrammar.evaluationPrompts().size();
    static final int EVAL_IMAGES = 3;
    /** The trainer's checkpoints, inside the output folder; {@code --resume} continues from them. */
    static final String CHECKPOINTS = "checkpoints";
    /** AdamW's learning rate on the LoRA unless {@code --lr} says otherwise. */
    public static final double DEFAULT_LEARNING_RATE = 2e-3;

    /**
     * @param method a name of {@link ShapesMethods#NAMES}
     * @param task the proxy reward and its gold
     * @param epochs training epochs
     * @param seed the run's seed
     * @param out the output folder
     * @param evalEvery evaluate every this many epochs (and before the first and after the last)
     * @param prompts prompts per epoch
     * @param groupSize images per prompt
     * @param evalPrompts held-out prompts evaluated
     * @param evalImages images per held-out prompt
     * @param reward the proxy reward by name ({@link ExampleRewards#registry()}, e.g. {@code jpeg} or
     *     {@code geneval=http://127.0.0.1:18085}) instead of the task's, or null for the task's;
     *     the checker stays the gold either way
     * @param learningRate AdamW's learning rate on the LoRA
     * @param trainPrompts how many of the training prompts (the first ones) epochs draw from; 0 for all
     *     96 (a small pool makes every epoch revisit the same prompts: a test of whether RL can fit them)
     */
    public record Options(String method, ShapesTask task, int epochs, long seed, Path out, int evalEvery, int prompts, int groupSize,
            int evalPrompts, int evalImages, String reward, double learningRate, int trainPrompts) {
        /** Validates the numbers. */
        public Options {
            if (!ShapesMethods.isKnown(method)) {
                throw new IllegalArgumentException("unknown method '" + method + "'; choose one of " + ShapesMethods.NAMES);
            }
            if (task == null) {
                throw new IllegalArgumentException("a task is required; choose one of " + ShapesTask.names());
            }
            if (epochs < 1 || evalEvery < 1 || prompts < 2 || prompts % 2 != 0 || groupSize < 2 || evalPrompts < 1
                    || evalImages < 2) {
                throw new IllegalArgumentException("need epochs >= 1, evalEvery >= 1, an even number of prompts >= 2, "
                        + "groupSize >= 2, evalPrompts >= 1, evalImages >= 2; got epochs=" + epochs + ", evalEvery="
                        + evalEvery + ", prompts=" + prompts + ", groupSize=" + groupSize + ", evalPrompts=" + evalPrompts
                        + ", evalImages=" + evalImages);
            }
            int pool = PromptGrammar.trainingPrompts().size();
            if (trainPrompts < 0 || trainPrompts > pool || trainPrompts > 0 && trainPrompts < prompts) {
                throw new IllegalArgumentException("trainPrompts must be 0 (all " + pool + ") or in [prompts per epoch " + prompts
                        + ", " + pool + "], got " + trainPrompts);
            }
            if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
                throw new IllegalArgumentException("the learning rate must be positive and finite, got " + learningRate);
            }
            if (reward != null) {
                List<String> known = ExampleRewards.registry().names();
                for (RewardSpec spec : RewardSpec.parseAll(reward)) {
                    if (!known.contains(spec.name())) {
                        throw new IllegalArgumentException("unknown reward '" + spec.name() + "'; choose from " + known);
                    }
                }
            }
        }

        /**
         * @param owner owns the reward's weights, if it has any
         * @return a fresh proxy reward: the named one, else the task's
         * @throws IOException when the reward cannot be made
         */
        public RewardFunction proxy(NDManager owner) throws IOException {
            if (reward == null) {
                return task.proxy(owner);
            }
            return ExampleRewards.registry().create(reward);
        }

        /** @return the prompts epochs draw from: the first {@link #trainPrompts()} training prompts, or all */
        public List<Prompt> trainingPrompts() {
            List<Prompt> all = PromptGrammar.trainingPrompts();
            return trainPrompts == 0 ? all : all.subList(0, trainPrompts);
        }

        /** @return what the proxy reward is, for figures and summaries */
        public String proxyLabel() {
            return reward == null ? task.proxyLabel() : reward;
        }

        /**
         * @param method a name of {@link ShapesMethods#NAMES}
         * @return the defaults: the GenEval-like task, 30 epochs of 8 prompts x 8 images, seed 1,
         *     output in runs/shapes-&lt;method&gt;
         */
        public static Options defaults(String method) {
            return builder(method).build();
        }

        /**
         * @param method a name of {@link ShapesMethods#NAMES}
         * @return a builder starting from {@link #defaults}
         */
        public static Builder builder(String method) {
            return new Builder(method);
        }

        /** @return a builder starting from these options */
        public Builder toBuilder() {
            return new Builder(method).optTask(task).optEpochs(epochs).optSeed(seed).optOut(out).optEvalEvery(evalEvery)
                    .optBatch(prompts, groupSize).optEvaluation(evalPrompts, evalImages).optReward(reward)
                    .optLearningRate(learningRate).optTrainPrompts(trainPrompts);
        }

        /** @return a copy with another output folder */
        public Options withOut(Path folder) {
            return toBuilder().optOut(folder).build();
        }

        /** Builder for {@link Options}; {@link #build} validates. */
        public static final class Builder {
            private final String method;
            private ShapesTask task = ShapesTask.GENEVAL;
            private Path out;
            private int epochs = 30;
            private long seed = 1;
            private int evalEvery = 10;
            private int prompts = 8;
            private int groupSize = 8;
            private int evalPrompts = EVAL_PROMPTS;
            private int evalImages = EVAL_IMAGES;
            private String reward;
            private double learningRate = DEFAULT_LEARNING_RATE;
            private int trainPrompts;

            private Builder(String method) {
                this.method = method;
            }

            /** @param v the proxy and its gold (default geneval) @return this */
            public Builder optTask(ShapesTask v) {
                task = v;
                return this;
            }

            /** @param v training epochs (default 30) @return this */
            public Builder optEpochs(int v) {
                epochs = v;
                return this;
            }

            /** @param v the run's seed (default 1) @return this */
            public Builder optSeed(long v) {
                seed = v;
                return this;
            }

            /** @param v the output folder (default runs/shapes-[task-]method) @return this */
            public Builder optOut(Path v) {
                out = v;
                return this;
            }

            /** @param v evaluate every this many epochs (default 10) @return this */
            public Builder optEvalEvery(int v) {
                evalEvery = v;
                return this;
            }

            /** @param promptsPerEpoch prompts per epoch (default 8) @param group images per prompt (default 8) @return this */
            public Builder optBatch(int promptsPerEpoch, int group) {
                prompts = promptsPerEpoch;
                groupSize = group;
                return this;
            }

            /**
             * @param heldOutPrompts held-out prompts evaluated (default all 33 evaluation prompts)
             * @param imagesPerPrompt images per held-out prompt (default {@value ShapesDemo#EVAL_IMAGES})
             * @return this
             */
            public Builder optEvaluation(int heldOutPrompts, int imagesPerPrompt) {
                evalPrompts = heldOutPrompts;
                evalImages = imagesPerPrompt;
                return this;
            }

            /** @param v the proxy by name instead of the task's, or null (default) @return this */
            public Builder optReward(String v) {
                reward = v;
                return this;
            }

            /** @param v AdamW's learning rate (default {@value ShapesDemo#DEFAULT_LEARNING_RATE}) @return this */
            public Builder optLearningRate(double v) {
                learningRate = v;
                return this;
            }

            /** @param v draw epochs from the first v training prompts only; 0 for all (default) @return this */
            public Builder optTrainPrompts(int v) {
                trainPrompts = v;
                return this;
            }

            /** @return the options @throws IllegalArgumentException naming what is wrong */
            public Options build() {
                return new Options(method, task, epochs, seed, out == null ? defaultOut(method, task) : out, evalEvery,
                        prompts, groupSize, evalPrompts, evalImages, reward, learningRate, trainPrompts);
            }
        }

        private static Path defaultOut(String method, ShapesTask task) {
            return Path.of("runs", "shapes-" + (task == ShapesTask.GENEVAL ? "" : task.cliName() + "-") + method);
        }
    }

    private ShapesDemo() {}

    /** The command line of {@code bin/demo}. */
    static final CommandLine COMMAND_LINE = new CommandLine("bin/demo",
            "Fine-tunes the shipped Shapes model on CPU with one METHOD and writes a report (curves, image grids, "
                    + "summary.md). Without a METHOD, bin/demo is the main job (bin/demo --help).",
            Option.value("method", "METHOD", "the method: " + String.join(", ", ShapesMethods.NAMES), "gardo"),
            List.of(Option.value("task", "TASK", "geneval (the checker is the proxy) or reward-model (a learned reward "
                            + "model is the proxy, the checker the gold)", ShapesTask.GENEVAL.cliName()),
                    Option.value("reward", "SPECS", "train on these rewards instead of the task's proxy (see below); "
                            + "the checker stays the gold", null),
                    Option.value("epochs", "N", "training epochs, in all (a resumed run counts its earlier ones)", "30"),
                    Option.value("seed", "S", "the run's seed (sampling noise, prompts, LoRA initialisation)", "1"),
                    Option.value("prompts", "N", "training prompts per epoch, an even number (2 optimizer steps per epoch)",
                            "8"),
                    Option.value("group-size", "G", "images sampled per prompt (GRPO's group)", "8"),
                    Option.value("train-prompts", "N", "draw epochs from the first N training prompts only (a small pool "
                            + "revisits the same prompts every epoch); 0 for all", "0"),
                    Option.value("lr", "LR", "AdamW's learning rate on the LoRA", String.valueOf(DEFAULT_LEARNING_RATE)),
                    Option.value("out", "DIR", "the output folder", "runs/shapes-METHOD, or runs/shapes-reward-model-METHOD"),
                    OutputFolder.RESUME, OutputFolder.OVERWRITE),
            "rewards for --reward (SPECS = name[=argument][*weight],...):\n" + ExampleRewards.registry().usage());

    /** Options of either command that take no value. */
    private static final java.util.Set<String> FLAGS = java.util.Set.of("--resume", "--overwrite", "--help", "-h", "--verbose");

    /**
     * A METHOD typed after options ({@code bin/demo --epochs 5 gardo}) means the same as typed
     * first; a method name that is an option's value ({@code --out gardo}) stays where it is.
     *
     * @param args the command line
     * @return the command line with a positional METHOD moved to the front
     */
    static String[] methodFirst(String[] args) {
        for (int i = 1; i < args.length; i++) {
            if (ShapesMethods.isKnown(args[i]) && (!args[i - 1].startsWith("-") || FLAGS.contains(args[i - 1]))) {
                List<String> out = new java.util.ArrayList<>(List.of(args));
                out.add(0, out.remove(i));
                return out.toArray(String[]::new);
            }
        }
        return args;
    }

    /** @param args see {@code bin/demo --help} */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Path.of("").toAbsolutePath()));
    }

    /**
     * The command: without a METHOD first, the main job ({@link ShapesMainJob}); with one, parses, checks the
     * output folder, trains that method, prints the summary.
     *
     * @param args the command line
     * @param out where the progress, the summary and the usage go
     * @param err where errors go
     * @param cwd the directory relative paths resolve against
     * @return the exit status: 0 done (or help), 1 a failure, 2 a usage error
     */
    public static int run(String[] args, PrintStream out, PrintStream err, Path cwd) {
        // bin/demo alone (or with options only) is the main job; a METHOD runs that method alone.
        args = methodFirst(args);
        if (args.length == 0 || args[0].startsWith("-")) {
            return ShapesMainJob.run(args, out, err, cwd);
        }
        return COMMAND_LINE.execute(args, cwd, out, err, a -> {
            Options o = options(a);
            OutputFolder.Mode mode = OutputFolder.check(a, "out", o.out());
            OutputFolder.prepare(o.out(), mode, a.cwd());
            Path summary = run(o, out, mode == OutputFolder.Mode.RESUME);
            out.println();
            out.println(Files.readString(summary));
            out.println("Report written to " + o.out());
            return 0;
        });
    }

    /**
     * @param args a command line of {@code bin/demo}
     * @param cwd the directory relative paths resolve against
     * @return its options
     * @throws UsageException naming the first bad value
     */
    static Options parse(String[] args, Path cwd) {
        return options(COMMAND_LINE.parse(args, cwd));
    }

    private static Options options(Arguments a) {
        String method = a.text("method");
        if (!ShapesMethods.isKnown(method)) {
            throw a.bad("method", "unknown method; choose one of " + ShapesMethods.NAMES);
        }
        ShapesTask task;
        try {
            task = ShapesTask.named(a.text("task"));
        } catch (IllegalArgumentException e) {
            throw a.bad("task", "unknown task; choose one of " + ShapesTask.names());
        }
        String reward = a.text("reward");
        if (reward != null) {
            List<String> known = ExampleRewards.registry().names();
            try {
                for (RewardSpec spec : RewardSpec.parseAll(reward)) {
                    if (!known.contains(spec.name())) {
                        throw a.bad("reward", "unknown reward '" + spec.name() + "'; choose from " + known);
                    }
                }
            } catch (UsageException e) {
                throw e;
            } catch (IllegalArgumentException e) {
                throw a.bad("reward", e.getMessage());
            }
        }
        int epochs = a.integer("epochs", 1);
        long seed = a.wholeNumber("seed");
        double lr = a.positive("lr");
        Path out = a.given("out") ? a.path("out") : a.cwd().resolve(Options.defaultOut(method, task));
        Options d = Options.defaults(method);
        int prompts = a.given("prompts") ? a.integer("prompts", 2) : d.prompts();
        if (prompts % 2 != 0) {
            throw a.bad("prompts", "must be even (two prompts per sampling batch)");
        }
        int groupSize = a.given("group-size") ? a.integer("group-size", 2) : d.groupSize();
        int trainPrompts = a.given("train-prompts") ? a.integer("train-prompts", 0) : 0;
        return Arguments.checked(() -> Options.builder(method).optTask(task).optEpochs(epochs).optSeed(seed).optOut(out)
                .optBatch(prompts, groupSize).optReward(reward).optLearningRate(lr).optTrainPrompts(trainPrompts).build());
    }

    /**
     * Runs the demo from the start.
     *
     * @param o the options
     * @param console where the progress bar goes
     * @return the summary file
     * @throws IOException when the model cannot be loaded or the report written
     */
    public static Path run(Options o, PrintStream console) throws IOException {
        return run(o, console, false);
    }

    /**
     * Runs the demo. It checkpoints the trainer after every epoch ({@code checkpoints/}) and writes
     * {@code eval.csv} after every evaluation, so that a run stopped or killed after epoch k
     * continues with {@code resume}: the trainer restored (the same numbers as a run never stopped,
     * for the same seed), the evaluation history read back, training and evaluation rows written
     * after the checkpoint dropped.
     *
     * @param o the options
     * @param console where the progress bar goes
     * @param resume continue the run in {@code o.out()} from its last checkpoint (a fresh start
     *     when it has none)
     * @return the summary file
     * @throws IOException when the model cannot be loaded, the checkpoint read or the report written
     * @throws IllegalArgumentException when the run to resume was made with other settings
     */
    public static Path run(Options o, PrintStream console, boolean resume) throws IOException {
        Files.createDirectories(o.out());
        long t0 = System.nanoTime();
        ImageEmbedder embedder = new ShapesEmbedder();
        List<Prompt> evalPrompts = PromptGrammar.evaluationPrompts().subList(0, o.evalPrompts());
        float[][] realFeatures = embed(embedder, ShapesDataset.render(ShapesDataset.referenceSample(o.seed(), 256)));
        Method method = ShapesMethods.named(o.method(), embedder);
        TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(o.prompts()).optGroupSize(o.groupSize())
                .optPromptsPerSamplingBatch(2).optGroupsPerMicroBatch(2)
                .optOptimizerStepsPerEpoch(Math.max(1, Math.min(2, o.prompts() / 2)))
                .optLearningRate(o.learningRate()).optSeed(o.seed()).build();
        Map<String, List<Double>> eval = new LinkedHashMap<>();
        String proxyKey;
        List<ShapesReport.Change> changes;
        Path checkpoints = o.out().resolve(CHECKPOINTS);
        boolean resuming = resume && Files.exists(checkpoints.resolve("latest"));
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.pretrained(root);
                EventFileWriter tensorboard = EventFileWriter.open(o.out())) {
            RewardFunction proxy = o.proxy(root);
            try {
                proxyKey = "reward/" + proxy.name() + "/mean";
                // Before the trainer exists the policy adapter is the untrained one, so this is the
                // base model's evaluation; a resumed run recomputes it (same noise) for the summary.
                Evaluation before = evaluate(model, evalPrompts, o, embedder, realFeatures, proxy);
                Evaluation[] last = {null};
                if (resuming) {
                    RunHistory.checkSameSettings(o.out().resolve("config.json"), configJson(o, config, method));
                    writeConfig(o, config, method);
                } else {
                    RunHistory.forget(o.out());
                    writeConfig(o, config, method);
                    ShapesReport.prompts(o.out(), evalPrompts, o.evalImages());
                    ShapesReport.grid(o.out().resolve("before.png"), "before (epoch 0)", before.result(),
                            o.evalImages());
                    tensorboard.addImage("eval/samples", 0, Files.readAllBytes(o.out().resolve("before.png")));
                    record(eval, 0, before);
                    MetricsCsv.write(o.out().resolve("eval.csv"), eval);
                    last[0] = before;
                }
                TrainingListener evaluator = new TrainingListener() {
                    @Override
                    public void onEpochEnd(Trainer trainer, EpochReport report) {
                        int done = report.epoch() + 1;
                        if (done % o.evalEvery() == 0 || done == o.epochs()) {
                            last[0] = model.transformer().adapters().with(AdapterRoles.POLICY,
                                    () -> evaluate(model, evalPrompts, o, embedder, realFeatures, proxy));
                            record(eval, done, last[0]);
                            try {
                                MetricsCsv.write(o.out().resolve("eval.csv"), eval);
                            } catch (IOException e) {
                                throw new UncheckedIOException(e);
                            }
                        }
                    }
                };
                Trainer.Builder builder = Trainer.builder(model.transformer(), method).optConfig(config)
                        .setPrompts(o.trainingPrompts()).setTextEncoder(model.textEncoder())
                        .optDecoder(ShapesModel.decoder()).setSampleShape(ShapesModel.sampleShape())
                        .setReward(proxy);
                o.task().auxiliaries().forEach(builder::addAuxiliaryReward);
                try (Trainer trainer = builder
                        .addListener(new MetricsLogger(o.out()))
                        .addListener(new TensorBoardLogger(tensorboard))
                        .addListener(evaluator)
                        .addListener(new CheckpointListener(checkpoints, 1))
                        .addListener(new TrainingListener() {
                            @Override
                            public void onEpochEnd(Trainer trainer, EpochReport report) {
                                try {
                                    RunHistory.keepLatestCheckpoint(checkpoints);
                                } catch (IOException e) {
                                    throw new UncheckedIOException(e);
                                }
                            }
                        })
                        .addListener(new ConsoleProgress(console, o.epochs()))
                        .build()) {
                    if (resuming) {
                        trainer.resume(checkpoints);
                        RunHistory.restore(o.out(), trainer.completedEpochs(), eval);
                        console.println("resumed " + o.out() + " after epoch " + trainer.completedEpochs());
                    }
                    trainer.trainUntil(o.epochs());
                    if (last[0] == null) { // resumed with no epoch left to train: the last one's images
                        last[0] = model.transformer().adapters().with(AdapterRoles.POLICY,
                                () -> evaluate(model, evalPrompts, o, embedder, realFeatures, proxy));
                    }
                }
                ShapesReport.grid(o.out().resolve("after.png"), "after (epoch " + o.epochs() + ")", last[0].result(),
                        o.evalImages());
                tensorboard.addImage("eval/samples", o.epochs(), Files.readAllBytes(o.out().resolve("after.png")));
                changes = ShapesReport.changes(o, before, last[0], realFeatures);
            } finally {
                if (o.reward() != null) {
                    RewardRegistry.close(proxy); // the task's own proxy is freed with root
                }
            }
        }
        MetricsCsv.write(o.out().resolve("eval.csv"), eval);
        ShapesReport.curves(o.out(), o.proxyLabel(), proxyKey, eval, o.evalPrompts(), o.evalImages());
        return ShapesReport.summary(o, proxyKey, eval, ShapesMethods.deviations(o.method()), (System.nanoTime() - t0) / 1e9, changes);
    }

    /**
     * Held-out numbers of one evaluation, with the per-image proxy scores and embeddings that the
     * summary's per-prompt intervals resample.
     */
    record Evaluation(ShapesEvaluation.Result result, double[] proxyScores, float[][] features, double vendi, double frechet) {
        /** @return the proxy's mean over the held-out images */
        double proxy() {
            return Arrays.stream(proxyScores).average().orElseThrow();
        }
    }

    private static Evaluation evaluate(ShapesModel model, List<Prompt> prompts, Options o, ImageEmbedder embedder,
            float[][] real, RewardFunction proxy) {
        ShapesEvaluation.Result r = ShapesEvaluation.run(model, prompts, o.evalImages(), o.seed() + 1000);
        float[][] f = embed(embedder, r.images());
        double[] proxyScores;
        try {
            proxyScores = proxy.score(r.images(), r.prompts());
        } catch (Exception e) {
            throw new IllegalStateException("the proxy reward failed on the held-out images: " + e, e);
        }
        return new Evaluation(r, proxyScores, f, VendiScore.withinGroups(f, o.evalImages()), FrechetDistance.compute(f, real));
    }

    /**
     * Embeds for the held-out metrics. A blank image has an all-zero Shapes embedding, which cosine
     * geometry cannot place; a small constant component makes all blank images identical to each
     * other and far from drawn ones.
     */
    private static float[][] embed(ImageEmbedder embedder, io.diffrl4j.core.reward.ImageBatch images) {
        try {
            float[][] f = embedder.embed(images);
            float[][] out = new float[f.length][];
            for (int i = 0; i < f.length; i++) {
                out[i] = java.util.Arrays.copyOf(f[i], f[i].length + 1);
                out[i][f[i].length] = 0.1f;
            }
            return out;
        } catch (Exception e) {
            throw new IllegalStateException("embedding images for the held-out metrics failed: " + e, e);
        }
    }

    private static void record(Map<String, List<Double>> eval, int epoch, Evaluation e) {
        eval.computeIfAbsent("epoch", k -> new ArrayList<>()).add((double) epoch);
        eval.computeIfAbsent("gold_strict_pass_rate", k -> new ArrayList<>()).add(e.result().strictRate());
        eval.computeIfAbsent("gold_mean_score", k -> new ArrayList<>()).add(e.result().meanScore());
        eval.computeIfAbsent("proxy_mean", k -> new ArrayList<>()).add(e.proxy());
        eval.computeIfAbsent("vendi_within_prompt", k -> new ArrayList<>()).add(e.vendi());
        eval.computeIfAbsent("frechet_to_real", k -> new ArrayList<>()).add(e.frechet());
    }

    private static void writeConfig(Options o, TrainerConfig config, Method method) throws IOException {
        Files.writeString(o.out().resolve("config.json"),
                new ObjectMapper().writerWithDefaultPrettyPrinter().writeValueAsString(configJson(o, config, method)));
    }

    private static ObjectNode configJson(Options o, TrainerConfig config, Method method) {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("method", method.name());
        n.put("requested", o.method());
        n.put("task", o.task().cliName());
        n.put("proxy_reward", o.proxyLabel());
        n.put("epochs", o.epochs());
        n.put("seed", o.seed());
        n.put("deviations_from_paper_defaults", ShapesMethods.deviations(o.method()));
        if (o.trainPrompts() > 0) {
            n.put("train_prompts", o.trainPrompts()); // only when limited, so configs of earlier runs read the same
        }
        n.set("trainer", config.toJson());
        n.set("model", ShapesModel.config().toJson());
        return n;
    }
}
