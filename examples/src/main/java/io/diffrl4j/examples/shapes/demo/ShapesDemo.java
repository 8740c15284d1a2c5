package io.diffrl4j.examples.shapes.demo;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.train.ConsoleProgress;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.MetricsLogger;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.core.train.TrainingListener;
import io.diffrl4j.examples.ExampleRewards;
import io.diffrl4j.examples.report.MetricsCsv;
import io.diffrl4j.examples.shapes.PromptGrammar;
import io.diffrl4j.examples.shapes.ShapesDataset;
import io.diffrl4j.examples.shapes.ShapesEvaluation;
import io.diffrl4j.examples.shapes.ShapesModel;
import io.diffrl4j.examples.shapes.rewards.PaletteFidelityReward;
import io.diffrl4j.examples.shapes.rewards.ShapeRegularityReward;
import io.diffrl4j.examples.shapes.rewards.ShapesEmbedder;
import io.diffrl4j.rewards.metrics.FrechetDistance;
import io.diffrl4j.rewards.metrics.VendiScore;
import io.diffrl4j.rewards.registry.RewardRegistry;
import io.diffrl4j.rewards.registry.RewardSpec;
import java.io.IOException;
import java.io.PrintStream;
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
 * bin/demo [gardo|flow-grpo|flow-grpo-kl|diffusion-nft|crd] [--task geneval|reward-model] [--reward SPECS] [--epochs N] [--seed S] [--lr LR] [--out DIR]
 * </pre>
 */
public final class ShapesDemo {
    /**
     * Default prompts and images per prompt of the held-out evaluation: all 33 evaluation prompts x
     * 3 images, as the comparison (one definition of the held-out pass rate everywhere).
     */
    static final int EVAL_PROMPTS = PromptGrammar.evaluationPrompts().size();
    static final int EVAL_IMAGES = 3;
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
     */
    public record Options(String method, ShapesTask task, int epochs, long seed, Path out, int evalEvery, int prompts, int groupSize,
            int evalPrompts, int evalImages, String reward, double learningRate) {
        /** Validates the numbers. */
        public Options {
            if (!ShapesMethods.NAMES.contains(method)) {
                throw new IllegalArgumentException("unknown method '" + method + "'; choose one of " + ShapesMethods.NAMES);
            }
            if (task == null) {
                throw new IllegalArgumentException("a task is required; choose one of " + ShapesTask.names());
            }
            if (epochs < 1 || evalEvery < 1 || prompts < 2 || prompts % 2 != 0 || groupSize < 2 || evalPrompts < 1
                    || evalImages < 2) {
                throw new IllegalArgumentException("need epochs >= 1, evalEvery >= 1, an even number of prompts >= 2, "
                        + "groupSize >= 2, evalPrompts >= 1, evalImages >= 2; got " + this);
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

        /** The default learning rate. */
        public Options(String method, ShapesTask task, int epochs, long seed, Path out, int evalEvery, int prompts,
                int groupSize, int evalPrompts, int evalImages, String reward) {
            this(method, task, epochs, seed, out, evalEvery, prompts, groupSize, evalPrompts, evalImages, reward,
                    DEFAULT_LEARNING_RATE);
        }

        /** The task's own proxy reward and the default learning rate. */
        public Options(String method, ShapesTask task, int epochs, long seed, Path out, int evalEvery, int prompts,
                int groupSize, int evalPrompts, int evalImages) {
            this(method, task, epochs, seed, out, evalEvery, prompts, groupSize, evalPrompts, evalImages, null);
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
            return new Options(method, ShapesTask.GENEVAL, 30, 1, defaultOut(method, ShapesTask.GENEVAL), 10, 8, 8,
                    EVAL_PROMPTS, EVAL_IMAGES);
        }

        /** @return a copy with another output folder */
        public Options withOut(Path folder) {
            return new Options(method, task, epochs, seed, folder, evalEvery, prompts, groupSize, evalPrompts, evalImages,
                    reward, learningRate);
        }

        private static Path defaultOut(String method, ShapesTask task) {
            return Path.of("runs", "shapes-" + (task == ShapesTask.GENEVAL ? "" : task.cliName() + "-") + method);
        }
    }

    private ShapesDemo() {}

    /** @param args see the class comment */
    public static void main(String[] args) throws Exception {
        Options options;
        try {
            options = parse(args);
        } catch (IllegalArgumentException e) {
            System.err.println(e.getMessage());
            System.err.println("usage: bin/demo [" + String.join("|", ShapesMethods.NAMES) + "] [--task "
                    + String.join("|", ShapesTask.names()) + "] [--reward SPECS] [--epochs N] [--seed S] [--lr LR] [--out DIR]");
            System.err.println("rewards (SPECS = name[=argument][*weight],...; the checker stays the gold):");
            System.err.print(ExampleRewards.registry().usage());
            System.exit(2);
            return;
        }
        Path summary = run(options, System.out);
        System.out.println();
        System.out.println(Files.readString(summary));
        System.out.println("Report written to " + options.out().toAbsolutePath());
    }

    static Options parse(String[] args) {
        String method = "gardo";
        Options d = Options.defaults(method);
        int epochs = d.epochs();
        long seed = d.seed();
        ShapesTask task = d.task();
        String reward = null;
        double lr = d.learningRate();
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                method = a;
                continue;
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            String v = args[++i];
            try {
                switch (a) {
                    case "--epochs" -> epochs = Integer.parseInt(v);
                    case "--seed" -> seed = Long.parseLong(v);
                    case "--task" -> task = ShapesTask.named(v);
                    case "--reward" -> reward = v;
                    case "--lr" -> lr = Double.parseDouble(v);
                    case "--out" -> out = Path.of(v);
                    default -> throw new IllegalArgumentException("unknown option " + a);
                }
            } catch (NumberFormatException e) {
                throw new IllegalArgumentException("not a number for " + a + ": " + v);
            }
        }
        return new Options(method, task, epochs, seed, out == null ? Options.defaultOut(method, task) : out,
                d.evalEvery(), d.prompts(), d.groupSize(), d.evalPrompts(), d.evalImages(), reward, lr);
    }

    /**
     * Runs the demo.
     *
     * @param o the options
     * @param console where the progress bar goes
     * @return the summary file
     * @throws IOException when the model cannot be loaded or the report written
     */
    public static Path run(Options o, PrintStream console) throws IOException {
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
        try (NDManager root = NDManager.newBaseManager(); ShapesModel model = ShapesModel.pretrained(root)) {
            RewardFunction proxy = o.proxy(root);
            try {
                proxyKey = "reward/" + proxy.name() + "/mean";
                writeConfig(o, config, method);
                Evaluation before = evaluate(model, evalPrompts, o, embedder, realFeatures, proxy);
                ShapesReport.prompts(o.out(), evalPrompts, o.evalImages());
                ShapesReport.grid(o.out().resolve("before.png"), "before (epoch 0)", before.result(), o.evalImages());
                record(eval, 0, before);
                Evaluation[] last = {before};
                TrainingListener evaluator = new TrainingListener() {
                    @Override
                    public void onEpochEnd(Trainer trainer, EpochReport report) {
                        int done = report.epoch() + 1;
                        if (done % o.evalEvery() == 0 || done == o.epochs()) {
                            last[0] = model.transformer().adapters().with(AdapterRoles.POLICY,
                                    () -> evaluate(model, evalPrompts, o, embedder, realFeatures, proxy));
                            record(eval, done, last[0]);
                        }
                    }
                };
                try (Trainer trainer = Trainer.builder(model.transformer(), method).optConfig(config)
                        .setPrompts(PromptGrammar.trainingPrompts()).setTextEncoder(model.textEncoder())
                        .optDecoder(ShapesModel.decoder()).setSampleShape(ShapesModel.sampleShape())
                        .setReward(proxy)
                        .addAuxiliaryReward(new PaletteFidelityReward())
                        .addAuxiliaryReward(new ShapeRegularityReward())
                        .addListener(new MetricsLogger(o.out()))
                        .addListener(evaluator)
                        .addListener(new ConsoleProgress(console, o.epochs()))
                        .build()) {
                    trainer.trainUntil(o.epochs());
                }
                ShapesReport.grid(o.out().resolve("after.png"), "after (epoch " + o.epochs() + ")", last[0].result(),
                        o.evalImages());
                changes = ShapesReport.changes(o, before, last[0], realFeatures);
            } finally {
                if (o.reward() != null) {
                    RewardRegistry.close(proxy); // the task's own proxy is freed with root
                }
            }
        }
        MetricsCsv.write(o.out().resolve("eval.csv"), eval);
        ShapesReport.curves(o.out(), o.proxyLabel(), proxyKey, eval, o.evalPrompts(), o.evalImages());
        return ShapesReport.summary(o, proxyKey, eval, ShapesMethods.DEVIATIONS, (System.nanoTime() - t0) / 1e9, changes);
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
        ObjectMapper json = new ObjectMapper();
        ObjectNode n = json.createObjectNode();
        n.put("method", method.name());
        n.put("requested", o.method());
        n.put("task", o.task().cliName());
        n.put("proxy_reward", o.proxyLabel());
        n.put("epochs", o.epochs());
        n.put("seed", o.seed());
        n.put("deviations_from_paper_defaults", ShapesMethods.DEVIATIONS);
        n.set("trainer", config.toJson());
        n.set("model", ShapesModel.config().toJson());
        Files.writeString(o.out().resolve("config.json"), json.writerWithDefaultPrettyPrinter().writeValueAsString(n));
    }
}
