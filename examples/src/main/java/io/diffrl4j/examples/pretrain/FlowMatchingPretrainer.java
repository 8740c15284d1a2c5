package io.diffrl4j.examples.pretrain;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.LogitNormalNoiseLevels;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.train.AdamW;
import io.diffrl4j.core.train.LearningRateSchedule;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.examples.text.TokenTextEncoder;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Consumer;

/**
 * Trains a base MMDiT and its text encoder from scratch by rectified flow matching (SD3's recipe
 * scaled down): logit-normal noise levels, velocity MSE, prompts dropped to the empty prompt with
 * probability 0.1 so classifier-free guidance works, AdamW on every weight, optionally an
 * exponential moving average of the weights, which the model then keeps (the usual diffusion
 * recipe). The learning rate is constant, so that a run stopped at step n equals a run of n steps,
 * unless {@link Config#warmupSteps()} or {@link Config#cosineDecay()} ask for the usual linear
 * warm-up and a half cosine that reaches zero just after the last step ({@link Config#schedule()},
 * the trainer's {@code LearningRateSchedule}; they lower the final loss of a run whose length is
 * fixed in advance).
 */
public final class FlowMatchingPretrainer {
    /**
     * @param steps optimizer steps
     * @param batchSize samples per step
     * @param learningRate AdamW learning rate
     * @param dropPrompt probability of replacing a prompt by the empty one
     * @param seed every random draw derives from it
     * @param emaDecay per-step decay of the weight average the model ends with, in [0, 1); 0 keeps
     *     the raw weights
     * @param warmupSteps steps over which the rate rises linearly from learningRate / warmupSteps
     *     to learningRate, in [0, steps)
     * @param cosineDecay whether the rate then falls along a half cosine to zero after the last step
     */
    public record Config(int steps, int batchSize, double learningRate, double dropPrompt, long seed, double emaDecay,
            int warmupSteps, boolean cosineDecay) {
        /** Validates the ranges. */
        public Config {
            if (steps < 1 || batchSize < 1 || !(learningRate > 0) || !(dropPrompt >= 0 && dropPrompt < 1)
                    || !(emaDecay >= 0 && emaDecay < 1) || warmupSteps < 0 || warmupSteps >= steps) {
                throw new IllegalArgumentException("pretraining needs steps >= 1, batchSize >= 1, learningRate > 0, "
                        + "dropPrompt in [0, 1), emaDecay in [0, 1) and warmupSteps in [0, steps); got " + this);
            }
        }

        /** A constant learning rate (no warm-up, no decay). */
        public Config(int steps, int batchSize, double learningRate, double dropPrompt, long seed, double emaDecay) {
            this(steps, batchSize, learningRate, dropPrompt, seed, emaDecay, 0, false);
        }

        /**
         * @return the rate's schedule: constant, or with {@link #cosineDecay()} a half cosine to 0
         *     over the steps after the warm-up; either after {@link #warmupSteps()} of linear warm-up
         */
        public LearningRateSchedule schedule() {
            LearningRateSchedule after = cosineDecay() ? LearningRateSchedule.cosine(steps - warmupSteps, 0.0)
                    : LearningRateSchedule.constant();
            return after.withWarmup(warmupSteps);
        }
    }

    private FlowMatchingPretrainer() {}

    /**
     * @param model the model to train (its base is made trainable, then frozen again)
     * @param text the text encoder trained with it
     * @param data the training pairs
     * @param sampleShape the shape of one sample, e.g. (3, 32, 32)
     * @param config the run's numbers
     * @param progress receives (step, mean loss over the last report interval) every 100 steps,
     *     with the model holding the averaged weights of that step (so it may save or evaluate
     *     them; the base is trainable while it runs)
     * @return the loss of every step; the model ends holding the averaged weights
     */
    public static double[] train(MmditModel model, TokenTextEncoder text, PretrainingData data, Shape sampleShape,
            Config config, Consumer<double[]> progress) {
        List<NDArray> params = new ArrayList<>(model.setBaseTrainable(true));
        params.addAll(text.setTrainable(true));
        TrainerConfig adam = TrainerConfig.builder().optLearningRate(config.learningRate()).optWeightDecay(0.0)
                .optGradClip(1.0).optLearningRateSchedule(config.schedule()).build();
        SeededNoise root = new SeededNoise(config.seed());
        LogitNormalNoiseLevels levels = new LogitNormalNoiseLevels(0, 1, 1);
        double[] losses = new double[config.steps()];
        try (NDManager manager = NDManager.newBaseManager(); AdamW optimizer = new AdamW(manager, adam)) {
            // decay 0 keeps no average at all: "a + (w - a)" is not always w in floating point
            List<NDArray> average = new ArrayList<>(params.size());
            for (NDArray p : config.emaDecay() > 0 ? params : List.<NDArray>of()) {
                average.add(p.duplicate());
                average.get(average.size() - 1).attach(manager);
            }
            double window = 0;
            for (int step = 0; step < config.steps(); step++) {
                SeededNoise rng = root.fork(step);
                PretrainingData.Batch batch = data.next(config.batchSize(), rng.fork(1));
                List<String> prompts = new ArrayList<>(batch.prompts());
                for (int i = 0; i < prompts.size(); i++) {
                    if (rng.nextDouble() < config.dropPrompt()) {
                        prompts.set(i, "");
                    }
                }
                try (NDManager s = manager.newSubManager()) {
                    int b = prompts.size();
                    NDArray x0 = s.create(batch.images(), new Shape(b).addAll(sampleShape)).duplicate();
                    NDArray eps = rng.normal(s, x0.getShape());
                    double[][] sig = levels.draw(b, rng.fork(2));
                    float[] sigmas = new float[b];
                    for (int i = 0; i < b; i++) {
                        sigmas[i] = (float) sig[i][0];
                    }
                    NDArray sigma = s.create(sigmas).duplicate();
                    NDArray xt = FlowMatching.interpolate(x0, eps, sigma);
                    NDArray target = FlowMatching.velocityTarget(x0, eps);
                    try (GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                        Conditioning c = text.encode(prompts, s);
                        NDArray loss = model.velocity(xt, sigma, c).sub(target).square().mean();
                        gc.backward(loss);
                        losses[step] = loss.getFloat();
                    }
                    optimizer.step(params, adam.learningRateAt(step));
                    accumulate(average, params, config.emaDecay(), s);
                }
                window += losses[step];
                if ((step + 1) % 100 == 0) {
                    swap(params, average, manager);
                    try {
                        progress.accept(new double[] {step + 1, window / 100});
                    } finally {
                        swap(params, average, manager);
                    }
                    window = 0;
                }
            }
            swap(params, average, manager);
        } finally {
            model.setBaseTrainable(false);
            text.setTrainable(false);
        }
        return losses;
    }

    /** average := decay * average + (1 - decay) * weights, in place; temporaries live in scratch. */
    private static void accumulate(List<NDArray> average, List<NDArray> weights, double decay, NDManager scratch) {
        for (int i = 0; i < average.size(); i++) {
            NDArray a = average.get(i);
            NDArray w = weights.get(i);
            NDArray step = w.sub(a);
            step.attach(scratch);
            a.addi(step.muli(1 - decay));
        }
    }

    /** Exchanges the values of two lists of arrays in place (the weights keep their identity). */
    private static void swap(List<NDArray> weights, List<NDArray> average, NDManager manager) {
        try (NDManager s = manager.newSubManager()) {
            for (int i = 0; i < average.size(); i++) {
                NDArray w = weights.get(i);
                NDArray a = average.get(i);
                NDArray held = w.duplicate();
                held.attach(s);
                w.subi(w).addi(a);
                a.subi(a).addi(held);
            }
        }
    }
}
