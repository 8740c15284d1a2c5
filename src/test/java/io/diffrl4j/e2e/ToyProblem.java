package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.DiscreteNoiseLevels;
import io.diffrl4j.core.flow.FlowMatching;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.MicroBatch;
import io.diffrl4j.core.objective.PolicyObjective;
import io.diffrl4j.core.objective.Prediction;
import io.diffrl4j.core.objective.StepMetrics;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.testing.TestRewards;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.crd.CenteringScope;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.CrdObjective;
import io.diffrl4j.methods.crd.ImplicitRewardForm;
import io.diffrl4j.methods.crd.MatchingLoss;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.function.Consumer;
import java.util.function.Function;

/**
 * A 2-D problem small enough to check by hand: the pretrained flow generates N(0, I); the reward
 * is minus the distance of a sample to the point (1.5, -0.5).
 */
final class ToyProblem {
    static final double[] TARGET = {1.5, -0.5};

    private ToyProblem() {}

    static ToyFlowModel model(NDManager root) {
        return new ToyFlowModel(root, 2, 0.0, 1.0, 4, 7);
    }

    static List<Prompt> prompts() {
        return List.of(Prompt.of("a point"), Prompt.of("another point"), Prompt.of("a third point"));
    }

    /** Minus the Euclidean distance to TARGET. */
    static RewardFunction distanceReward() {
        return distanceReward("neg_distance", TARGET[0], TARGET[1]);
    }

    /** Minus the Euclidean distance to the point ({@code x0}, {@code x1}), called {@code name}. */
    static RewardFunction distanceReward(String name, double x0, double x1) {
        return TestRewards.of(name, images -> {
            double[] out = new double[images.count()];
            for (int i = 0; i < out.length; i++) {
                float[] x = images.image(i);
                out[i] = -Math.hypot(x[0] - x0, x[1] - x1);
            }
            return out;
        });
    }

    static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(8).optPromptsPerSamplingBatch(2)
                .optGroupsPerMicroBatch(2).optOptimizerStepsPerEpoch(1).optLearningRate(3e-3).optSeed(11);
    }

    /**
     * @return the methods' learning runs' settings: 16 prompts x 8 images per epoch, one optimizer
     *     step of 4-group micro-batches at lr 2e-2, seed 3 (Flow-GRPO: -1.871 -> -1.428 in 5 epochs)
     */
    static TrainerConfig learningConfig() {
        return TrainerConfig.builder().optPromptsPerEpoch(16).optGroupSize(8).optPromptsPerSamplingBatch(4)
                .optGroupsPerMicroBatch(4).optOptimizerStepsPerEpoch(1).optLearningRate(2e-2).optSeed(3).build();
    }

    static Trainer.Builder trainer(AdaptedFlowModel model, Method method, TrainerConfig config) {
        return Trainer.builder(model, method).optConfig(config).setPrompts(prompts())
                .setTextEncoder(TextEncoder.none()).setSampleShape(new Shape(2)).setReward(distanceReward());
    }

    /** How a test builds the trainer of a toy model ({@link #trainer} or one with more rewards). */
    @FunctionalInterface
    interface TrainerFactory {
        Trainer.Builder create(ToyFlowModel model, Method method, TrainerConfig config);
    }

    /** CRD kept quick for the toy: 6-step shift-1 rollouts, trained at 4 of 5 discrete levels, against "old". */
    static Method quickCrd() {
        return Crd.method()
                .withSampler(Crd.sampler().optShift(1.0).optSteps(6).build())
                .withObjective(new CrdObjective(CrdObjective.DEFAULT_BETA, ImplicitRewardForm.ADAPTIVE, CenteringScope.PROMPT,
                        MatchingLoss.MSE, new DiscreteNoiseLevels(5, 1.0, 0.8), AdapterRoles.OLD));
    }

    /** Mean reward of 512 deterministic ODE samples of the policy: the learning tests' fixed evaluation set. */
    static double evaluate(ToyFlowModel model) throws Exception {
        TrajectorySampler ode = TrajectorySampler.builder().optSteps(10).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
        try (NDManager m = NDManager.newBaseManager()) {
            float[] x = model.adapters().with(AdapterRoles.POLICY, () -> ode.sample(m, model, Conditioning.none(512), null, 1,
                    new Shape(2), new SeededNoise(2024)).samples().toFloatArray());
            double[] r = distanceReward().score(new ImageBatch(x, 512, 2, 1, 1),
                    new ArrayList<>(Collections.nCopies(512, Prompt.of("eval"))));
            return Arrays.stream(r).average().orElseThrow();
        }
    }

    /** What a learning run measured: the evaluation reward before and after each epoch, and each epoch's report. */
    record Curve(double[] rewards, List<EpochReport> reports) {
        double[] metric(String name) {
            return reports.stream().mapToDouble(r -> r.get(name)).toArray();
        }
    }

    /** Trains a fresh toy {@code epochs} epochs with {@link #trainer}, evaluating before and after each. */
    static Curve learn(Method method, TrainerConfig config, int epochs) throws Exception {
        return learn(ToyProblem::trainer, method, config, epochs);
    }

    /** Trains a fresh toy {@code epochs} epochs with the given trainer, evaluating before and after each. */
    static Curve learn(TrainerFactory factory, Method method, TrainerConfig config, int epochs) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = model(root);
                Trainer trainer = factory.create(model, method, config).build()) {
            double[] rewards = new double[epochs + 1];
            List<EpochReport> reports = new ArrayList<>();
            rewards[0] = evaluate(model);
            for (int e = 0; e < epochs; e++) {
                reports.add(trainer.epoch());
                rewards[e + 1] = evaluate(model);
            }
            return new Curve(rewards, reports);
        }
    }

    /** Every epoch raises the evaluation reward {@code r}, and the total gain exceeds {@code minGain}. */
    static void assertRises(String name, double[] r, double minGain) {
        int epochs = r.length - 1;
        for (int e = 0; e < epochs; e++) {
            assertTrue(r[e + 1] > r[e], name + ": evaluation reward fell at epoch " + e + ": " + Arrays.toString(r));
        }
        assertTrue(r[epochs] - r[0] > minGain, name + ": gain " + (r[epochs] - r[0]) + " " + Arrays.toString(r));
    }

    /**
     * Trains {@code method} uninterrupted to epoch 3, and again to epoch 1, saved to {@code dir} and resumed by a
     * fresh trainer to epoch 3, with the garbage collector running continuously: the {@code weights} of both runs
     * must be bit-identical. {@code straightCheck} is handed the uninterrupted model before it closes.
     */
    static void assertResumesBitIdentically(Method method, TrainerConfig config, Path dir,
            Function<ToyFlowModel, List<float[]>> weights, Consumer<ToyFlowModel> straightCheck) throws Exception {
        Thread gc = TrainerLoopTest.collectGarbageContinuously();
        try {
            List<float[]> straight;
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = model(root);
                    Trainer trainer = trainer(model, method, config).build()) {
                trainer.trainUntil(3);
                straight = weights.apply(model);
                straightCheck.accept(model);
            }
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = model(root);
                    Trainer trainer = trainer(model, method, config).build()) {
                trainer.trainUntil(1);
                trainer.save(dir);
            }
            try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = model(root);
                    Trainer trainer = trainer(model, method, config).build()) {
                trainer.resume(dir);
                trainer.trainUntil(3);
                List<float[]> resumed = weights.apply(model);
                assertEquals(straight.size(), resumed.size());
                for (int i = 0; i < straight.size(); i++) {
                    assertArrayEquals(straight.get(i), resumed.get(i), 0f, "array " + i);
                }
            }
        } finally {
            gc.interrupt();
        }
    }

    /**
     * Reward-weighted flow matching, a minimal forward-process objective for loop tests:
     * {@code mean_i max(A_i, 0) * mean_dims((v_theta(x_t) - (eps - x0))^2)} at one random level.
     */
    static final class WeightedFlowMatching implements PolicyObjective {
        @Override
        public int passes(MicroBatch batch) {
            return 1;
        }

        @Override
        public Pass evaluate(MicroBatch batch, int pass, AdaptedFlowModel model, StepMetrics metrics) {
            NDArray x0 = batch.samples();
            NDArray eps = batch.rng().normal(batch.manager(), x0.getShape());
            NDArray sigma = batch.rng().uniform(batch.manager(), new Shape(batch.size()), 0.05, 0.95);
            NDArray xt = FlowMatching.interpolate(x0, eps, sigma);
            NDArray v = model.velocity(xt, sigma, batch.conditioning());
            NDArray err = FlowMatching.meanPerSample(v.sub(FlowMatching.velocityTarget(x0, eps)).square());
            NDArray loss = err.mul(batch.advantages().maximum(0f)).mean();
            metrics.add("policy_loss", loss);
            Prediction prediction = new Prediction() {
                @Override
                public NDArray policy() {
                    return v;
                }

                @Override
                public NDArray under(String set, double guidance) {
                    return model.adapters().with(set, () -> model.velocity(xt, sigma, Conditioning.none(batch.size())))
                            .stopGradient();
                }

                @Override
                public double guidance() {
                    return 1.0;
                }

                @Override
                public NDArray klScale(KlForm form) {
                    return batch.manager().create(1f);
                }
            };
            return new Pass(loss, prediction);
        }
    }
}
