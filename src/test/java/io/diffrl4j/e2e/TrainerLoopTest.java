package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.testing.TestRewards;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.MetricsLogger;
import io.diffrl4j.core.train.RewardException;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The loop itself, through public API only: resume equivalence, metrics, bad input. */
class TrainerLoopTest {
    static Method method() {
        TrajectorySampler ode = TrajectorySampler.builder().optSteps(8).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
        return Method.builder("weighted-flow-matching", ode, new GroupRelativeAdvantage(), new ToyProblem.WeightedFlowMatching())
                .optRegularizers(List.of(new ReferenceKl(null, 1.0, KlForm.CODE, KlStrength.constant(0.01))))
                .optSchedules(List.of(new EmaSchedule(AdapterRoles.OLD, new EmaDecay(0, 0.5, 0.01, 0.9))))
                .build();
    }

    /** {@link #method()} keeping an evaluation EMA blended after global steps 2, 5 and 8 ((n + 1) % 3 == 0). */
    static Method methodWithEma() {
        Method m = method();
        return m.withSchedules(List.of(m.schedules().get(0), new PolicyEma(AdapterRoles.EMA, 0.9, 3)));
    }

    static List<float[]> weights(ToyFlowModel model, String set) {
        List<float[]> out = new ArrayList<>();
        for (NDArray a : model.adapters().get(set).parameters()) {
            out.add(a.toFloatArray());
        }
        return out;
    }

    /**
     * Runs the garbage collector continuously: DJL frees the Java buffers behind number operands
     * at GC time, so any autograd path that still used one would make the runs below differ.
     */
    static Thread collectGarbageContinuously() {
        Thread gc = new Thread(() -> {
            while (!Thread.currentThread().isInterrupted()) {
                System.gc();
                try {
                    Thread.sleep(2);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "gc-stress");
        gc.setDaemon(true);
        gc.start();
        return gc;
    }

    @Test
    void resumingFromACheckpointContinuesBitIdentically(@TempDir Path dir) throws Exception {
        Thread gc = collectGarbageContinuously();
        try {
            resumeEquivalence(dir);
        } finally {
            gc.interrupt();
        }
    }

    private static void resumeEquivalence(Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();
        List<float[]> straight;
        List<float[]> straightOld;
        List<float[]> straightEma;
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, methodWithEma(), config).build()) {
            trainer.trainUntil(4);
            straight = weights(model, AdapterRoles.POLICY);
            straightOld = weights(model, AdapterRoles.OLD);
            straightEma = weights(model, AdapterRoles.EMA);
            assertFalse(java.util.Arrays.equals(straight.get(0), straightEma.get(0)), "the EMA lags the policy");
            assertEquals(8, trainer.globalStep());
        }
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, methodWithEma(), config).build()) {
            trainer.trainUntil(2);
            trainer.save(dir);
        }
        assertEquals("checkpoint-2", Files.readString(dir.resolve("latest")));
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, methodWithEma(), config).build()) {
            trainer.resume(dir);
            assertEquals(2, trainer.completedEpochs());
            assertEquals(4, trainer.globalStep());
            trainer.trainUntil(4);
            List<float[]> resumed = weights(model, AdapterRoles.POLICY);
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), 0f, "policy array " + i);
            }
            List<float[]> resumedOld = weights(model, AdapterRoles.OLD);
            for (int i = 0; i < straightOld.size(); i++) {
                assertArrayEquals(straightOld.get(i), resumedOld.get(i), 0f, "old array " + i);
            }
            List<float[]> resumedEma = weights(model, AdapterRoles.EMA);
            for (int i = 0; i < straightEma.size(); i++) {
                assertArrayEquals(straightEma.get(i), resumedEma.get(i), 0f, "EMA array " + i);
            }
        }
    }

    @Test
    void everyEpochLogsTheMetricsUsersExpect(@TempDir Path dir) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), ToyProblem.config().build())
                        .addListener(new MetricsLogger(dir)).build()) {
            EpochReport report = trainer.trainUntil(2);
            for (String name : List.of("reward/neg_distance/mean", "reward/neg_distance/std", "advantage/mean",
                    "advantage/std", "kl", "loss", "policy_loss", "grad_norm", "learning_rate", "time/sampling",
                    "time/scoring", "time/update", "memory/peak_rss_mb", "terms_per_step", "grad_snr", "grad_consistency")) {
                assertTrue(Double.isFinite(report.get(name)), name + " = " + report.get(name));
            }
            // One AdamW step over 4 prompts x 8 images, one pass each, in two micro-batches: 32 terms,
            // and a signal-to-noise ratio from the two micro-batch gradients (positive by definition).
            assertEquals(32.0 - 8 * report.get("skipped_groups"), report.get("terms_per_step"), 0);
            assertTrue(report.get("grad_snr") > 0, "grad_snr " + report.get("grad_snr"));
            assertTrue(Math.abs(report.get("grad_consistency")) <= 1, "a cosine: " + report.get("grad_consistency"));
            // Group-relative advantages are centred within each group: their batch mean is 0.
            assertEquals(0.0, report.get("advantage/mean"), 1e-9);
            assertEquals(0.003, report.get("learning_rate"), 0);
            List<String> csv = Files.readAllLines(dir.resolve("metrics.csv"));
            assertEquals(3, csv.size());
            assertTrue(csv.get(0).startsWith("epoch,global_step,time/sampling"), csv.get(0));
            assertEquals(2, Files.readAllLines(dir.resolve("metrics.jsonl")).size());
        }
    }

    private static RewardFunction reward(String name, Function<Integer, double[]> scores) {
        return TestRewards.of(name, images -> scores.apply(images.count()));
    }

    private static String failEpoch(RewardFunction bad, TrainerConfig config, Path dir) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), config).addAuxiliaryReward(bad).build()) {
            List<float[]> before = weights(model, AdapterRoles.POLICY);
            RewardException e = assertThrows(RewardException.class, trainer::epoch);
            assertEquals(0, trainer.completedEpochs());
            List<float[]> after = weights(model, AdapterRoles.POLICY);
            for (int i = 0; i < before.size(); i++) {
                assertArrayEquals(before.get(i), after.get(i), 0f);
            }
            return e.getMessage();
        }
    }

    @Test
    void badRewardsFailTheEpochWithTheirNameAndChangeNothing(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().build();
        assertEquals("reward 'nan' returned NaN for image 3 (prompt \"" + "a third point" + "\")",
                failEpoch(reward("nan", n -> {
                    double[] s = new double[n];
                    s[3] = Double.NaN;
                    return s;
                }), config, dir).replaceAll("\\(prompt \"[^\"]*\"\\)", "(prompt \"a third point\")"));
        assertEquals("reward 'short' returned 3 scores for 16 images", failEpoch(reward("short", n -> new double[3]), config, dir));
        assertEquals("reward 'broken' failed: java.lang.IllegalStateException: server down", failEpoch(reward("broken", n -> {
            throw new IllegalStateException("server down");
        }), config, dir));
        TrainerConfig quick = ToyProblem.config().optRewardTimeout(Duration.ofMillis(200)).build();
        assertEquals("scoring did not finish within 200 ms (rewards: neg_distance, slow)", failEpoch(reward("slow", n -> {
            try {
                Thread.sleep(5000);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new double[n];
        }), quick, dir));
    }

    @Test
    void badConfigurationsNameTheProblem() {
        assertEquals("groupSize must be >= 2 (a group of 1 has no within-prompt signal), got 1",
                assertThrows(IllegalArgumentException.class, () -> TrainerConfig.builder().optGroupSize(1).build()).getMessage());
        assertEquals("promptsPerSamplingBatch 5 must divide promptsPerEpoch 48",
                assertThrows(IllegalArgumentException.class,
                        () -> TrainerConfig.builder().optPromptsPerSamplingBatch(5).build()).getMessage());
        assertEquals("learningRate must be finite and > 0, got -1.0",
                assertThrows(IllegalArgumentException.class, () -> TrainerConfig.builder().optLearningRate(-1).build())
                        .getMessage());
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> ToyProblem.trainer(model, method(), ToyProblem.config().build()).setPrompts(List.of()).build());
            assertEquals("the prompt list is empty: give the trainer at least one prompt", e.getMessage());
        }
    }

    @Test
    void theLearningRateFollowsItsScheduleByOptimizerStepAcrossAResume(@TempDir Path dir) throws Exception {
        io.diffrl4j.core.train.LearningRateSchedule cosine = io.diffrl4j.core.train.LearningRateSchedule.cosine(4, 0.0);
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1)
                .optLearningRateSchedule(cosine).build();
        double lr = config.learningRate();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), config).build()) {
            // each epoch reports the mean of its two steps' rates
            assertEquals(lr * (1.0 + 0.5 * (1 + Math.cos(Math.PI / 4))) / 2, trainer.epoch().get("learning_rate"), 1e-12);
            trainer.save(dir);
        }
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), config).build()) {
            trainer.resume(dir);
            assertEquals(lr * (0.5 + 0.5 * (1 + Math.cos(3 * Math.PI / 4))) / 2, trainer.epoch().get("learning_rate"), 1e-12);
            assertEquals(0.0, trainer.epoch().get("learning_rate"), 0.0, "past the decay: the floor");
        }
        TrainerConfig constant = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), constant).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.resume(dir));
            assertTrue(e.getMessage().contains("learning_rate_schedule \"cosine(steps=4, floor=0.0)\" in the checkpoint, "
                    + "null here"), e.getMessage());
        }
    }

    @Test
    void aCheckpointOfAnotherModelIsRefusedAndLeftIntact(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().build();
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), config).build()) {
            trainer.trainUntil(1);
            trainer.save(dir);
        }
        byte[] state = Files.readAllBytes(dir.resolve("checkpoint-1/state.json"));
        try (NDManager root = NDManager.newBaseManager();
                ToyFlowModel other = new ToyFlowModel(root, 2, 0.0, 1.0, 2, 7);
                Trainer trainer = ToyProblem.trainer(other, method(), config).build()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> trainer.resume(dir));
            assertTrue(e.getMessage().contains("was written for another model: its adapters have r=4, alpha=8.0 on 3 modules;"
                    + " this model's have r=2, alpha=4.0 on 3 modules"), e.getMessage());
        }
        assertArrayEquals(state, Files.readAllBytes(dir.resolve("checkpoint-1/state.json")));
        assertThrows(java.io.IOException.class, () -> {
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                    Trainer trainer = ToyProblem.trainer(model, method(), config).build()) {
                trainer.resume(dir.resolve("nowhere"));
            }
        });
    }

    @Test
    void scoringOfOneSamplingBatchOverlapsSamplingOfTheNext() throws Exception {
        // The reward of the first sampling batch only returns once the trainer has started encoding
        // the second batch's prompts: without overlap this would time out.
        java.util.concurrent.CountDownLatch secondBatchStarted = new java.util.concurrent.CountDownLatch(1);
        java.util.concurrent.atomic.AtomicInteger encodes = new java.util.concurrent.atomic.AtomicInteger();
        io.diffrl4j.core.model.TextEncoder encoder = new io.diffrl4j.core.model.TextEncoder() {
            @Override
            public io.diffrl4j.core.model.Conditioning encode(List<String> prompts, NDManager manager) {
                if (encodes.incrementAndGet() == 2) {
                    secondBatchStarted.countDown();
                }
                return io.diffrl4j.core.model.Conditioning.none(prompts.size());
            }

            @Override
            public io.diffrl4j.core.model.Conditioning unconditional(int batch, NDManager manager) {
                return io.diffrl4j.core.model.Conditioning.none(batch);
            }
        };
        java.util.Set<String> threads = java.util.concurrent.ConcurrentHashMap.newKeySet();
        RewardFunction waiting = reward("waits_for_next_batch", n -> {
            threads.add(Thread.currentThread().getName());
            try {
                if (!secondBatchStarted.await(20, java.util.concurrent.TimeUnit.SECONDS)) {
                    throw new IllegalStateException("the second sampling batch never started while scoring the first");
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
            return new double[n];
        });
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, method(), ToyProblem.config().build())
                        .setTextEncoder(encoder).addAuxiliaryReward(waiting).build()) {
            EpochReport report = trainer.epoch();
            assertEquals(0.0, report.get("reward/waits_for_next_batch/mean"), 0);
        }
        assertTrue(threads.stream().allMatch(t -> t.startsWith("diffrl4j-reward-")), threads.toString());
    }
}
