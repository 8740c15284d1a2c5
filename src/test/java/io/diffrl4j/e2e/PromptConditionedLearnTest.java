package io.diffrl4j.e2e;

import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.models.testing.ToyFlowModel;
import io.diffrl4j.samplers.EulerStep;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * A reward that asks each prompt for something else is learned prompt by prompt: "go left" is
 * rewarded near (-1.5, 0), "go right" near (1.5, 0), and the toy's MLP reads the prompt's one-number
 * conditioning. Only if every image trains with its own prompt's conditioning and advantage do both
 * prompts' rewards rise and their samples move apart; an image paired with another prompt's
 * conditioning would pull the prompts towards each other. Checked for Flow-GRPO on every step and
 * with a Fast window whose groups share their prefix, and with the Shapes demo's Fast window at CFG 3.
 */
class PromptConditionedLearnTest {
    private static final int EPOCHS = 6;
    private static final List<String> PROMPTS = List.of("go left", "go right");

    private static double side(String prompt) {
        return prompt.equals("go left") ? -1 : 1;
    }

    private static TextEncoder encoder() {
        return new TextEncoder() {
            @Override
            public Conditioning encode(List<String> prompts, NDManager manager) {
                float[] pooled = new float[prompts.size()];
                for (int i = 0; i < pooled.length; i++) {
                    pooled[i] = (float) side(prompts.get(i));
                }
                try (var wrapped = manager.create(pooled, new Shape(pooled.length, 1))) {
                    return Conditioning.of(null, wrapped.duplicate());
                }
            }

            @Override
            public Conditioning unconditional(int batch, NDManager manager) {
                return Conditioning.of(null, manager.zeros(new Shape(batch, 1)));
            }
        };
    }

    private static RewardFunction reward() {
        return new RewardFunction() {
            @Override
            public String name() {
                return "prompt_target";
            }

            @Override
            public double[] score(ImageBatch images, List<Prompt> prompts) {
                double[] out = new double[images.count()];
                for (int i = 0; i < out.length; i++) {
                    float[] x = images.image(i);
                    out[i] = -Math.hypot(x[0] - 1.5 * side(prompts.get(i).text()), x[1]);
                }
                return out;
            }
        };
    }

    /** @return per prompt: the mean reward and mean first coordinate of 256 fixed ODE samples */
    private static double[][] evaluate(ToyFlowModel model) {
        TrajectorySampler ode = TrajectorySampler.builder().optSteps(10).optShift(1.0).optGuidanceScale(1.0)
                .optStochasticStep(new EulerStep()).optWindow(SdeWindow.none()).build();
        double[][] out = new double[2][2];
        try (NDManager m = NDManager.newBaseManager()) {
            for (int p = 0; p < 2; p++) {
                Conditioning c = encoder().encode(java.util.Collections.nCopies(256, PROMPTS.get(p)), m);
                float[] x = model.adapters().with(AdapterRoles.POLICY, () -> ode.sample(m, model, c, null, 1, new Shape(2),
                        new SeededNoise(2024)).samples().toFloatArray());
                for (int i = 0; i < 256; i++) {
                    out[p][0] += -Math.hypot(x[2 * i] - 1.5 * side(PROMPTS.get(p)), x[2 * i + 1]) / 256;
                    out[p][1] += x[2 * i] / 256;
                }
            }
        }
        return out;
    }

    private static void learnsEachPrompt(String name, Method method) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); ToyFlowModel model = ToyFlowModel.conditioned(root, 2, 4, 7);
                Trainer trainer = Trainer.builder(model, method).optConfig(ToyProblem.learningConfig())
                        .setPrompts(PROMPTS.stream().map(Prompt::of).toList()).setTextEncoder(encoder())
                        .setSampleShape(new Shape(2)).setReward(reward()).build()) {
            double[][] before = evaluate(model);
            for (int e = 0; e < EPOCHS; e++) {
                trainer.epoch();
            }
            double[][] after = evaluate(model);
            System.out.println(name + ": reward left " + before[0][0] + " -> " + after[0][0] + ", right " + before[1][0] + " -> "
                    + after[1][0] + "; mean x left " + before[0][1] + " -> " + after[0][1] + ", right " + before[1][1] + " -> "
                    + after[1][1]);
            assertTrue(after[0][0] > before[0][0] + 0.1 && after[1][0] > before[1][0] + 0.1,
                    name + ": both prompts' rewards rise: " + Arrays.deepToString(before) + " -> " + Arrays.deepToString(after));
            assertTrue(after[0][1] < before[0][1] - 0.1 && after[1][1] > before[1][1] + 0.1,
                    name + ": the prompts' samples move apart: " + Arrays.deepToString(before) + " -> " + Arrays.deepToString(after));
        }
    }

    @Test
    void everyImageTrainsWithItsOwnPrompt() throws Exception {
        TrajectorySampler.Builder sampler = FlowGrpo.sampler().optGuidanceScale(1.0).optShift(1.0).optSteps(10);
        learnsEachPrompt("Flow-GRPO", FlowGrpo.method(sampler.build(), 0).without(PolicyEma.STATE_KEY));
        learnsEachPrompt("Flow-GRPO-Fast, shared prefix",
                FlowGrpo.method(sampler.optWindow(SdeWindow.random(2, 0, 5).withSharedPrefix()).build(), 0)
                        .without(PolicyEma.STATE_KEY));
        // Guidance 3 in rollouts and training, as the Shapes demo: the unconditional half must pair up too.
        learnsEachPrompt("Flow-GRPO-Fast, CFG 3", FlowGrpo.method(FlowGrpo.sampler().optGuidanceScale(3.0).optShift(1.0)
                .optSteps(10).optWindow(SdeWindow.random(2, 0, 4)).build(), 0).without(PolicyEma.STATE_KEY));
    }
}
