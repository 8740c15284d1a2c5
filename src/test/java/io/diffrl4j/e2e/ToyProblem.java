package io.diffrl4j.e2e;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.flow.FlowMatching;
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
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import java.util.List;

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
        return new RewardFunction() {
            @Override
            public String name() {
                return "neg_distance";
            }

            @Override
            public double[] score(ImageBatch images, List<Prompt> prompts) {
                double[] out = new double[images.count()];
                for (int i = 0; i < out.length; i++) {
                    float[] x = images.image(i);
                    out[i] = -Math.hypot(x[0] - TARGET[0], x[1] - TARGET[1]);
                }
                return out;
            }
        };
    }

    static TrainerConfig.Builder config() {
        return TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(8).optPromptsPerSamplingBatch(2)
                .optGroupsPerMicroBatch(2).optOptimizerStepsPerEpoch(1).optLearningRate(3e-3).optSeed(11);
    }

    static Trainer.Builder trainer(AdaptedFlowModel model, Method method, TrainerConfig config) {
        return Trainer.builder(model, method).optConfig(config).setPrompts(prompts())
                .setTextEncoder(TextEncoder.none()).setSampleShape(new Shape(2)).setReward(distanceReward());
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
