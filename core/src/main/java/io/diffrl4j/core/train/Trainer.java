package io.diffrl4j.core.train;

import io.diffrl4j.core.flow.ScalarMath;
import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.LatentDecoder;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.Regularizer;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.objective.TrainingProgress;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.ImageEmbedder;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardBatch;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.sampling.Sampler;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The post-training loop. One {@link #epoch()}: sample P prompts x G images with the method's
 * sampling snapshot (scoring each sampling batch on other threads while the next one samples),
 * score them, estimate advantages, then take K optimizer steps over micro-batches of whole groups,
 * or of equal parts of one group when {@link TrainerConfig#imagesPerMicroBatch()} is below G
 * (gradient accumulation over the micro-batches and the objective's passes; a step always covers
 * whole groups, and each part carries its group in {@link MicroBatch#groups()}), then let the
 * schedules move the snapshot adapters and the listeners see the metrics.
 *
 * <p>Only the policy adapter is trained (AdamW, global-norm clipping); the base model stays
 * frozen. Every random draw derives from the config's seed and the epoch number, so the same
 * seed on the same machine gives the same numbers, and {@link #resume} continues a saved run
 * bit-identically. Owns its optimizer state and scoring threads ({@link #close()}); the model is
 * the caller's. One thread at a time, but any thread: the restore and update paths set PyTorch's
 * per-thread autograd mode themselves ({@code GradMode}).
 */
public final class Trainer implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Trainer.class);

    private final AdaptedFlowModel model;
    private final Method method;
    private final TrainerConfig config;
    private final List<Prompt> prompts;
    private final TextEncoder textEncoder;
    private final LatentDecoder decoder;
    private final Shape sampleShape;
    private final RewardScorer scorer;
    private final List<TrainingListener> listeners;
    private final NDManager manager;
    private final AdamW optimizer;
    private final GradientConsistency consistency;
    private final SeededNoise seed;
    private int epoch;
    /** The run's identity in its checkpoints: new for a fresh trainer, the checkpoint's on resume. */
    private String runId = java.util.UUID.randomUUID().toString();

    private Trainer(Builder b) {
        this.model = b.model;
        this.method = b.method;
        this.config = b.config;
        this.prompts = List.copyOf(b.prompts);
        this.textEncoder = b.textEncoder;
        this.decoder = b.decoder;
        this.sampleShape = b.sampleShape;
        this.listeners = List.copyOf(b.listeners);
        this.seed = new SeededNoise(config.seed());
        Adapters adapters = model.adapters();
        GradMode.off(() -> {
            if (!adapters.contains(AdapterRoles.POLICY)) {
                adapters.create(AdapterRoles.POLICY, true, seed.fork(-1));
            }
            for (String snapshot : method.snapshots()) {
                if (!adapters.contains(snapshot)) {
                    adapters.copyOf(snapshot, adapters.get(AdapterRoles.POLICY), false);
                }
            }
            return adapters.get(method.samplingSet());
        });
        this.manager = NDManager.newBaseManager(adapters.device());
        this.optimizer = new AdamW(manager, config);
        this.consistency = new GradientConsistency(manager);
        this.scorer = new RewardScorer(b.reward, b.auxiliaries, method.advantages().embedder().orElse(null),
                config.rewardThreads(), config.rewardTimeout());
    }

    /**
     * @param model the model to train (its policy adapter is created if absent)
     * @param method the method's strategies
     * @return a builder
     */
    public static Builder builder(AdaptedFlowModel model, Method method) {
        return new Builder(model, method);
    }

    /**
     * Runs one epoch; on a reward failure nothing is updated and the epoch can be retried. Any
     * thread may call it (one at a time): autograd recording is off for the epoch and on only
     * inside its backward passes, whatever the calling thread's mode.
     *
     * @return what the epoch measured
     * @throws RewardException when a reward fails, times out or returns bad scores
     * @throws NonFiniteUpdateException when an optimizer step would make the gradients, the policy
     *     adapter or the optimizer state non-finite: that step is not applied (earlier steps of the
     *     epoch are), the epoch does not count and its listeners are not called, so no checkpoint of
     *     it is written
     */
    public EpochReport epoch() {
        return GradMode.off(this::runEpoch);
    }

    private EpochReport runEpoch() {
        TrainingProgress progress = new TrainingProgress(epoch, optimizer.steps());
        SeededNoise rng = seed.fork(epoch);
        EpochMetrics metrics = new EpochMetrics();
        try (NDManager epochManager = manager.newSubManager()) {
            List<MicroBatches.Source> chunks = sampleAndScore(epochManager, choosePrompts(rng), rng, metrics);
            RewardBatch rewards = withReferenceKl(metrics.timed("time/scoring", () -> scorer.collect(config.groupSize())),
                    chunks, metrics);
            double[] advantages = method.advantages().estimate(rewards);
            method.schedules().forEach(s -> s.beforeUpdate(model.adapters(), progress));
            method.regularizers().forEach(r -> r.onEpochScored(rewards, progress));
            metrics.rewards(rewards, advantages);
            metrics.timed("time/update", () -> update(epochManager, chunks, rewards, advantages, progress, rng, metrics));
        }
        TrainingProgress after = new TrainingProgress(epoch, optimizer.steps());
        method.schedules().forEach(s -> s.afterEpoch(model.adapters(), after, metrics.view()));
        EpochReport report = new EpochReport(epoch, optimizer.steps(), metrics.finish());
        epoch++;
        listeners.forEach(l -> l.onEpochEnd(this, report));
        return report;
    }

    /**
     * Runs epochs until {@code totalEpochs} have been completed in total, counting those restored by
     * {@link #resume}: after resuming at epoch 2, {@code trainUntil(3)} runs one epoch.
     *
     * @param totalEpochs the number of completed epochs to reach
     * @return the report of the last epoch run, or null if none ran
     */
    public EpochReport trainUntil(int totalEpochs) {
        return GradMode.off(() -> runUntil(totalEpochs));
    }

    private EpochReport runUntil(int totalEpochs) {
        listeners.forEach(l -> l.onTrainingStart(this));
        EpochReport last = null;
        while (epoch < totalEpochs) {
            last = epoch();
        }
        listeners.forEach(l -> l.onTrainingEnd(this));
        return last;
    }

    private List<MicroBatches.Source> sampleAndScore(NDManager epochManager, List<Prompt> chosen, SeededNoise rng, EpochMetrics metrics) {
        int per = config.promptsPerSamplingBatch();
        int g = config.groupSize();
        List<MicroBatches.Source> chunks = new ArrayList<>();
        Sampler sampler = method.sampler().atEpoch(epoch);
        metrics.timed("time/sampling", () -> {
            for (int start = 0; start < chosen.size(); start += per) {
                List<Prompt> part = chosen.subList(start, start + per);
                List<String> texts = part.stream().map(Prompt::text).toList();
                Conditioning cond = textEncoder.encode(texts, epochManager);
                Conditioning uncond = textEncoder.unconditional(per, epochManager);
                SeededNoise chunkRng = rng.fork(start);
                Rollout rollout = model.adapters().with(method.samplingSet(), () -> sampler
                        .sample(epochManager, model, cond, uncond, g, sampleShape, chunkRng));
                scorer.submit(decode(epochManager, rollout.samples()), repeatEach(part, g));
                chunks.add(new MicroBatches.Source(rollout, cond, uncond, start * g));
            }
            return null;
        });
        return chunks;
    }

    /**
     * Hands the rollouts' per-step KL to the reference, when the sampler recorded it (Flow-GRPO's
     * former KL-in-reward), to the objective with the scores; reports its mean as {@code sample_kl}.
     */
    private static RewardBatch withReferenceKl(RewardBatch rewards, List<MicroBatches.Source> chunks, EpochMetrics metrics) {
        if (chunks.stream().allMatch(c -> c.rollout().referenceKl() == null)) {
            return rewards;
        }
        double[][] kl = new double[rewards.size()][];
        double sum = 0;
        long count = 0;
        for (MicroBatches.Source c : chunks) {
            NDArray a = c.rollout().referenceKl();
            if (a == null) {
                throw new IllegalStateException("the sampler recorded the reference KL for some sampling batches only");
            }
            int rows = Math.toIntExact(a.getShape().get(0));
            int steps = Math.toIntExact(a.getShape().get(1));
            float[] v = a.toType(ai.djl.ndarray.types.DataType.FLOAT32, false).toFloatArray();
            for (int r = 0; r < rows; r++) {
                double[] row = new double[steps];
                for (int t = 0; t < steps; t++) {
                    row[t] = v[r * steps + t];
                    sum += row[t];
                    count++;
                }
                kl[c.firstRow() + r] = row;
            }
        }
        metrics.add("sample_kl", count == 0 ? 0 : sum / count);
        return rewards.withReferenceKl(kl);
    }

    private void update(NDManager epochManager, List<MicroBatches.Source> chunks, RewardBatch rewards, double[] advantages,
            TrainingProgress progress, SeededNoise rng, EpochMetrics metrics) {
        if (config.shuffledImagesPerMicroBatch() > 0) {
            updateShuffled(epochManager, chunks, rewards, advantages, progress, rng, metrics);
            return;
        }
        List<MicroBatches.Plan> plans = MicroBatches.plan(chunks.size(), config.promptsPerSamplingBatch(),
                config.groupsPerMicroBatch(), config.groupSize(), advantages,
                config.skipZeroAdvantageGroups(method.objective().skipsZeroAdvantageGroups()),
                rng.fork(-2));
        metrics.add("skipped_groups", rewards.groups() - plans.stream().mapToInt(p -> p.groups().length).sum());
        List<List<MicroBatches.Plan>> steps = MicroBatches.split(plans, config.optimizerStepsPerEpoch());
        int partsPerGroup = config.microBatchesPerGroup();
        // One per-row stream for the whole epoch: a row's noise does not depend on how groups are cut.
        MicroBatches.Epoch epoch = new MicroBatches.Epoch(advantages, rewards, method.sampler().atEpoch(progress.epoch()),
                rng.fork(-4));
        long step = progress.globalStep();
        for (List<MicroBatches.Plan> part : steps) {
            try (NDManager stepManager = epochManager.newSubManager()) {
                StepMetrics stepMetrics = new StepMetrics(stepManager);
                GradientSignal signal = new GradientSignal(policyParameters(), stepManager);
                MicroBatches.Step at = new MicroBatches.Step(stepManager, new TrainingProgress(progress.epoch(), step));
                int microBatches = part.size() * partsPerGroup;
                for (MicroBatches.Plan plan : part) {
                    MicroBatches.Source c = chunks.get(plan.chunk());
                    SeededNoise planRng = rng.fork(1000 + plan.chunk() * 1000L + plan.groups()[0]);
                    if (partsPerGroup == 1) {
                        accumulate(MicroBatches.build(at, plan, c, epoch, planRng, null), microBatches, stepMetrics, signal);
                        continue;
                    }
                    // The group batch lives for the step: every part of the group reads it.
                    MicroBatch groups = MicroBatches.build(at, plan, c, epoch, planRng, null);
                    for (MicroBatches.Plan p : plan.parts(partsPerGroup)) {
                        accumulate(MicroBatches.build(at, p, c, epoch, planRng.fork(p.part()), groups),
                                microBatches, stepMetrics, signal);
                    }
                }
                step = optimizerStep(stepMetrics, signal, progress.epoch(), step, metrics);
            }
        }
    }

    /**
     * Takes one AdamW step on the accumulated gradients, records the step's metrics and lets the
     * schedules see it.
     *
     * @return the global step after this one
     */
    private long optimizerStep(StepMetrics stepMetrics, GradientSignal signal, int epoch, long step, EpochMetrics metrics) {
        Map<String, Double> means = stepMetrics.means();
        signal.report(means);   // before the step: AdamW zeroes the gradients it reads
        double cosine = consistency.next(policyParameters());
        means.put("grad_consistency", Double.isFinite(cosine) ? cosine : Double.NaN);
        double rate = config.learningRateAt(optimizer.steps());
        double gradNorm = optimizer.step(policyParameters(), rate,
                "epoch " + epoch + ", adapter set '" + AdapterRoles.POLICY + "'");
        means.put("grad_norm", gradNorm);
        means.put("learning_rate", rate);
        means.forEach(metrics::add);
        TrainingProgress after = new TrainingProgress(epoch, step + 1);
        method.schedules().forEach(s -> s.afterStep(model.adapters(), after, means));
        return step + 1;
    }

    /** The update with mixed-prompt micro-batches ({@link TrainerConfig#shuffledImagesPerMicroBatch()}). */
    private void updateShuffled(NDManager epochManager, List<MicroBatches.Source> chunks, RewardBatch rewards, double[] advantages,
            TrainingProgress progress, SeededNoise rng, EpochMetrics metrics) {
        int g = config.groupSize();
        boolean skip = config.skipZeroAdvantageGroups(method.objective().skipsZeroAdvantageGroups());
        List<int[]> micro = MicroBatches.shuffledRows(rewards.groups(), g, config.shuffledImagesPerMicroBatch(), advantages,
                skip, rng.fork(-2));
        int trained = micro.stream().mapToInt(r -> r.length).sum();
        metrics.add("skipped_groups", rewards.groups() - trained / g);
        MicroBatches.Epoch epoch = new MicroBatches.Epoch(advantages, rewards, method.sampler().atEpoch(progress.epoch()),
                rng.fork(-4));
        long step = progress.globalStep();
        int steps = config.optimizerStepsPerEpoch();
        int n = micro.size();
        for (int s = 0; s < steps; s++) {
            List<int[]> part = micro.subList(s * n / steps, (s + 1) * n / steps);
            if (part.isEmpty()) {
                continue;
            }
            try (NDManager stepManager = epochManager.newSubManager()) {
                StepMetrics stepMetrics = new StepMetrics(stepManager);
                GradientSignal signal = new GradientSignal(policyParameters(), stepManager);
                MicroBatches.Step at = new MicroBatches.Step(stepManager, new TrainingProgress(progress.epoch(), step));
                for (int[] rows : part) {
                    SeededNoise batchRng = rng.fork(2_000_000L + rows[0]);
                    accumulate(MicroBatches.buildRows(at, rows, chunks, g, epoch, batchRng), part.size(), stepMetrics, signal);
                }
                step = optimizerStep(stepMetrics, signal, progress.epoch(), step, metrics);
            }
        }
    }

    List<NDArray> policyParameters() {
        return model.adapters().get(AdapterRoles.POLICY).parameters();
    }

    private void accumulate(MicroBatch batch, int microBatches, StepMetrics stepMetrics, GradientSignal signal) {
        PolicyObjective objective = method.objective();
        int passes = objective.passes(batch);
        double scale = 1.0 / ((double) passes * microBatches);
        model.adapters().use(AdapterRoles.POLICY);
        for (int pass = 0; pass < passes; pass++) {
            try (NDManager passManager = batch.manager().newSubManager()) {
                MicroBatches.tempAttach(passManager, batch);
                try (GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    PolicyObjective.Pass result = objective.evaluate(batch, pass, model, stepMetrics);
                    NDArray loss = result.loss();
                    for (Regularizer r : method.regularizers()) {
                        loss = loss.add(r.loss(batch, result.prediction(), stepMetrics));
                    }
                    stepMetrics.add("loss", loss);
                    collector.backward(ScalarMath.mul(loss, scale));
                }
            }
        }
        signal.afterMicroBatch((long) batch.size() * passes);
    }

    private ImageBatch decode(NDManager epochManager, NDArray samples) {
        try (NDManager scratch = epochManager.newSubManager()) {
            scratch.tempAttachAll(samples);
            return ImageBatch.fromArray(decoder.decode(samples));
        }
    }

    private List<Prompt> choosePrompts(SeededNoise rng) {
        List<Prompt> chosen = new ArrayList<>(config.promptsPerEpoch());
        SeededNoise order = rng.fork(-3);
        while (chosen.size() < config.promptsPerEpoch()) {
            for (int i : order.permutation(prompts.size())) {
                if (chosen.size() < config.promptsPerEpoch()) {
                    chosen.add(prompts.get(i));
                }
            }
        }
        return chosen;
    }

    private static List<Prompt> repeatEach(List<Prompt> part, int g) {
        List<Prompt> out = new ArrayList<>(part.size() * g);
        part.forEach(p -> out.addAll(Collections.nCopies(g, p)));
        return out;
    }

    /**
     * Writes a checkpoint (adapter sets, optimizer state, counters, schedule and regularizer
     * state, the run's identity and config, a SHA-256 manifest of its files) atomically into
     * {@code dir/checkpoint-<epoch>} and points {@code dir/latest} at it. Saving the epoch that
     * {@code latest} already holds does nothing.
     *
     * @param dir the run's checkpoint folder
     * @return the checkpoint written
     * @throws IOException when writing fails (earlier checkpoints are untouched), or when
     *     {@code dir} holds another run's checkpoints or a later epoch of this run: those are
     *     never overwritten or rewound
     */
    public Path save(Path dir) throws IOException {
        return GradMode.off(() -> Checkpoints.save(dir, this));
    }

    /**
     * Restores the latest checkpoint in {@code dir} into this trainer (same model architecture,
     * LoRA config, method and trainer settings), so that training continues exactly where it
     * stopped. All or nothing: every file's checksum, every field of the state, the run's
     * settings and the finiteness of the adapters and optimizer moments are checked before the
     * trainer is touched, and a refused resume leaves it as it was.
     *
     * @param dir the run's checkpoint folder
     * @throws IOException when the checkpoint is missing, incomplete, corrupt or unreadable
     *     (the message names the file)
     * @throws IllegalArgumentException when it belongs to another model, method or settings
     */
    public void resume(Path dir) throws IOException {
        // The restore writes into the adapters in place: with recording on (any thread but the one
        // that loaded the engine) PyTorch refuses in-place writes to leaves that require grad.
        GradMode.off(() -> {
            Checkpoints.restore(dir, this);
            return null;
        });
    }

    /** @return the number of epochs completed */
    public int completedEpochs() {
        return epoch;
    }

    /** @return optimizer steps taken */
    public long globalStep() {
        return optimizer.steps();
    }

    /** @return the model being trained */
    public AdaptedFlowModel model() {
        return model;
    }

    /** @return the method's strategies */
    public Method method() {
        return method;
    }

    /** @return the loop's numbers */
    public TrainerConfig config() {
        return config;
    }

    AdamW optimizer() {
        return optimizer;
    }

    NDManager manager() {
        return manager;
    }

    void restoreCounters(int epochs, String runId) {
        this.epoch = epochs;
        this.runId = runId;
    }

    /**
     * @return the run's identity, stored in its checkpoints: a fresh trainer starts a new run, a
     *     resumed one continues the checkpoint's; a folder holding another run's checkpoints is
     *     never saved into
     */
    public String runId() {
        return runId;
    }

    @Override
    public void close() {
        scorer.close();
        optimizer.close();
        consistency.close();
        manager.close();
    }

    /** Builder; {@link #build()} checks that the pieces fit together. */
    public static final class Builder {
        private final AdaptedFlowModel model;
        private final Method method;
        private TrainerConfig config = TrainerConfig.builder().build();
        private List<Prompt> prompts = List.of();
        private TextEncoder textEncoder;
        private LatentDecoder decoder = LatentDecoder.identity();
        private Shape sampleShape;
        private RewardFunction reward;
        private final List<RewardFunction> auxiliaries = new ArrayList<>();
        private final List<TrainingListener> listeners = new ArrayList<>();

        private Builder(AdaptedFlowModel model, Method method) {
            this.model = model;
            this.method = method;
        }

        /** @param c the loop's numbers (default: the SD3.5-Medium recipe) @return this */
        public Builder optConfig(TrainerConfig c) {
            config = c;
            return this;
        }

        /** @param p the prompt set epochs draw from (required, non-empty) @return this */
        public Builder setPrompts(List<Prompt> p) {
            prompts = p;
            return this;
        }

        /** @param e prompts to conditioning (required) @return this */
        public Builder setTextEncoder(TextEncoder e) {
            textEncoder = e;
            return this;
        }

        /** @param shape one sample's shape without the batch axis (required) @return this */
        public Builder setSampleShape(Shape shape) {
            sampleShape = shape;
            return this;
        }

        /** @param r the proxy reward being optimised (required) @return this */
        public Builder setReward(RewardFunction r) {
            reward = r;
            return this;
        }

        /** @param r an auxiliary reward scored alongside (GARDO's gate, held-out metrics) @return this */
        public Builder addAuxiliaryReward(RewardFunction r) {
            auxiliaries.add(r);
            return this;
        }

        /** @param d samples to images (default identity) @return this */
        public Builder optDecoder(LatentDecoder d) {
            decoder = d;
            return this;
        }

        /** @param l a listener @return this */
        public Builder addListener(TrainingListener l) {
            listeners.add(l);
            return this;
        }

        /** @return the trainer @throws IllegalArgumentException naming what is missing or inconsistent */
        public Trainer build() {
            if (prompts == null || prompts.isEmpty()) {
                throw new IllegalArgumentException("the prompt list is empty: give the trainer at least one prompt");
            }
            if (textEncoder == null) {
                throw new IllegalArgumentException("no text encoder: use TextEncoder.none() for models without text");
            }
            if (sampleShape == null) {
                throw new IllegalArgumentException("no sample shape: set the shape of one sample, e.g. (16, 64, 64)");
            }
            if (reward == null) {
                throw new IllegalArgumentException("no reward: set the proxy reward with setReward");
            }
            List<String> names = new ArrayList<>();
            names.add(reward.name());
            for (RewardFunction a : auxiliaries) {
                if (names.contains(a.name())) {
                    throw new IllegalArgumentException("two rewards are named '" + a.name() + "'");
                }
                names.add(a.name());
            }
            LOG.info("trainer for {} with {} prompts, config {}", method.name(), prompts.size(), config);
            return new Trainer(this);
        }
    }
}
