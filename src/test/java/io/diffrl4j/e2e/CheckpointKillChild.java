package io.diffrl4j.e2e;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.core.train.TrainingListener;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process {@link CheckpointKillTest} kills: trains the toy problem to a number of epochs,
 * checkpointing after every one, resuming from the folder when it holds a checkpoint. Prints
 * {@code ready <epoch>} once resumed, {@code epoch <n>} after each epoch's checkpoint, {@code done} at the end, {@code FAILED <error>} (exit 3)
 * on any failure, resume included.
 */
public final class CheckpointKillChild {
    private CheckpointKillChild() {}

    static TrainerConfig config() {
        return ToyProblem.config().optOptimizerStepsPerEpoch(2).optGroupsPerMicroBatch(1).build();
    }

    /** @param args the checkpoint folder and the epochs to reach */
    public static void main(String[] args) {
        Path dir = Path.of(args[0]);
        int epochs = Integer.parseInt(args[1]);
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyProblem.model(root);
                Trainer trainer = ToyProblem.trainer(model, TrainerLoopTest.methodWithEma(), config())
                        .addListener(new CheckpointListener(dir, 1)).addListener(new TrainingListener() {
                            @Override
                            public void onEpochEnd(Trainer t, EpochReport report) {
                                System.out.println("epoch " + t.completedEpochs());
                                System.out.flush();
                            }
                        }).build()) {
            if (Files.exists(dir.resolve("latest"))) {
                trainer.resume(dir);
            }
            System.out.println("ready " + trainer.completedEpochs());
            System.out.flush();
            trainer.trainUntil(epochs);
            System.out.println("done");
            System.out.flush();
        } catch (Throwable t) {
            System.out.println("FAILED " + t);
            System.out.flush();
            System.exit(3);
        }
    }
}
