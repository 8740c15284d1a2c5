package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.NonFiniteUpdateException;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Runaway updates stop the run before they reach the adapters or a checkpoint; any thread may resume. */
class RunawayUpdateTest {
    @Test
    void aRunawayLearningRateFailsTheStepAndNothingNonFiniteIsKeptOrSaved(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1)
                .optLearningRate(1e300).build();
        Path checkpoints = dir.resolve("run");
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), config)
                        .addListener(new CheckpointListener(checkpoints, 1)).build()) {
            List<float[]> policy = TrainerLoopTest.weights(model, AdapterRoles.POLICY);
            List<float[]> old = TrainerLoopTest.weights(model, AdapterRoles.OLD);
            NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> trainer.trainUntil(3));
            assertEquals(NonFiniteUpdateException.Quantity.PARAMETER, e.quantity());
            assertEquals(0, e.step());
            assertTrue(e.getMessage().startsWith("optimizer step 0 (epoch 0, adapter set 'policy') refused: the updated "
                    + "parameter of "), e.getMessage());
            assertTrue(e.getMessage().contains("has infinite or NaN values (learning rate 1.0E300"), e.getMessage());
            List<float[]> policyAfter = TrainerLoopTest.weights(model, AdapterRoles.POLICY);
            for (int i = 0; i < policy.size(); i++) {
                assertArrayEquals(policy.get(i), policyAfter.get(i), 0f, "policy array " + i + " keeps its value");
            }
            List<float[]> oldAfter = TrainerLoopTest.weights(model, AdapterRoles.OLD);
            for (int i = 0; i < old.size(); i++) {
                assertArrayEquals(old.get(i), oldAfter.get(i), 0f, "old array " + i + " keeps its value");
            }
            assertEquals(0, trainer.globalStep());
            assertEquals(0, trainer.completedEpochs());
            assertFalse(Files.exists(checkpoints), "no checkpoint was written");
        }
    }

    @Test
    void aRunawayStepLaterInTheRunLeavesTheLastFiniteWeightsAndCheckpoints(@TempDir Path dir) throws Exception {
        // Two sane epochs checkpointed, then the same run continued with a runaway learning rate.
        TrainerConfig sane = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();
        TrainerConfig runaway = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1)
                .optLearningRate(1e300).build();
        Path checkpoints = dir.resolve("run");
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root)) {
            try (Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), sane)
                    .addListener(new CheckpointListener(checkpoints, 1)).build()) {
                trainer.trainUntil(2);
            }
            List<float[]> policy = TrainerLoopTest.weights(model, AdapterRoles.POLICY);
            List<String> saved;
            try (Stream<Path> s = Files.list(checkpoints)) {
                saved = s.map(p -> p.getFileName().toString()).sorted().toList();
            }
            String latest = Files.readString(checkpoints.resolve("latest"));
            try (Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), runaway)
                    .addListener(new CheckpointListener(checkpoints, 1)).build()) {
                NonFiniteUpdateException e = assertThrows(NonFiniteUpdateException.class, () -> trainer.trainUntil(1));
                assertEquals(NonFiniteUpdateException.Quantity.PARAMETER, e.quantity());
            }
            List<float[]> after = TrainerLoopTest.weights(model, AdapterRoles.POLICY);
            for (int i = 0; i < policy.size(); i++) {
                assertArrayEquals(policy.get(i), after.get(i), 0f, "policy array " + i + " keeps its trained value");
                for (float x : after.get(i)) {
                    assertTrue(Float.isFinite(x));
                }
            }
            try (Stream<Path> s = Files.list(checkpoints)) {
                assertEquals(saved, s.map(p -> p.getFileName().toString()).sorted().toList(), "no checkpoint added");
            }
            assertEquals(latest, Files.readString(checkpoints.resolve("latest")));
        }
    }

    @Test
    void resumingOnAnotherThreadContinuesAsAnUninterruptedRun(@TempDir Path dir) throws Exception {
        TrainerConfig config = ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();
        List<float[]> straight;
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), config).build()) {
            trainer.trainUntil(2);
            straight = TrainerLoopTest.weights(model, AdapterRoles.POLICY);
        }
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), config).build()) {
            trainer.trainUntil(1);
            trainer.save(dir);
        }
        // A fresh thread has PyTorch's default autograd mode (on), unlike the thread that loaded the engine.
        ExecutorService other = Executors.newSingleThreadExecutor();
        try {
            List<float[]> resumed = other.submit(() -> {
                try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                        Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), config).build()) {
                    trainer.resume(dir);
                    assertEquals(1, trainer.completedEpochs());
                    trainer.trainUntil(2);
                    return TrainerLoopTest.weights(model, AdapterRoles.POLICY);
                }
            }).get();
            for (int i = 0; i < straight.size(); i++) {
                assertArrayEquals(straight.get(i), resumed.get(i), 0f, "policy array " + i);
            }
        } finally {
            other.shutdown();
        }
    }
}
