package io.diffrl4j.benchmarks.e2e;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.examples.shapes.PromptGrammar;
import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.examples.shapes.ShapesModel;
import io.diffrl4j.examples.shapes.demo.ShapesMethods;
import io.diffrl4j.examples.shapes.rewards.PaletteFidelityReward;
import io.diffrl4j.examples.shapes.rewards.ShapeRegularityReward;
import io.diffrl4j.examples.shapes.rewards.ShapesEmbedder;
import java.io.IOException;

/**
 * The Shapes demo's loop (the main job), without its evaluations and report: the shipped model,
 * the chosen method with the demo's settings ({@link ShapesMethods}), the checker as proxy reward
 * with the two auxiliary rewards, and the demo's recipe (P prompts x G images, sampling batches of
 * 2 prompts, micro-batches of 2 groups, up to 2 optimizer steps, lr 2e-3).
 */
final class ShapesLoop implements LoopSetup {
    private final NDManager root;
    private final ShapesModel model;
    private final Method method;
    private final TrainerConfig config;
    private final String methodName;

    private ShapesLoop(NDManager root, ShapesModel model, Method method, TrainerConfig config, String methodName) {
        this.root = root;
        this.model = model;
        this.method = method;
        this.config = config;
        this.methodName = methodName;
    }

    static ShapesLoop create(String methodName, int prompts, int groupSize, long seed) throws IOException {
        NDManager root = NDManager.newBaseManager();
        try {
            ShapesModel model = ShapesModel.pretrained(root);
            Method method = ShapesMethods.named(methodName, new ShapesEmbedder());
            TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(prompts).optGroupSize(groupSize)
                    .optPromptsPerSamplingBatch(2).optGroupsPerMicroBatch(2)
                    .optOptimizerStepsPerEpoch(Math.max(1, Math.min(2, prompts / 2)))
                    .optLearningRate(2e-3).optSeed(seed).build();
            return new ShapesLoop(root, model, method, config, methodName);
        } catch (IOException | RuntimeException e) {
            root.close();
            throw e;
        }
    }

    @Override
    public Trainer.Builder trainer() {
        return Trainer.builder(model.transformer(), method).optConfig(config)
                .setPrompts(PromptGrammar.trainingPrompts()).setTextEncoder(model.textEncoder())
                .optDecoder(ShapesModel.decoder()).setSampleShape(ShapesModel.sampleShape())
                .setReward(new ShapesChecker())
                .addAuxiliaryReward(new PaletteFidelityReward())
                .addAuxiliaryReward(new ShapeRegularityReward());
    }

    @Override
    public String description() {
        return "Shapes world: shipped model (" + model.transformer().parameterCount() + " base parameters, 32x32 RGB, "
                + "64 image tokens), method " + methodName + " (" + ShapesMethods.DEVIATIONS + "), "
                + config.promptsPerEpoch() + " prompts x " + config.groupSize() + " images per epoch, "
                + config.optimizerStepsPerEpoch() + " optimizer steps per epoch";
    }

    @Override
    public void close() {
        model.close();
        root.close();
    }
}
