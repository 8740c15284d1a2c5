package io.diffrl4j.benchmarks.e2e;

import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.benchmarks.support.Sd35mShaped;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.core.sampling.Sampler;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.rewards.embed.RandomProjectionEmbedder;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.util.ArrayList;
import java.util.List;

/**
 * The loop on an SD3.5-Medium-shaped model ({@link Sd35mShaped}: the real config, random weights,
 * fewer blocks) at 512 px (latents 16 x 64 x 64): GARDO on Flow-GRPO with the paper's sampler (10
 * steps, shift 3, CFG 4.5, a = 0.7) except that only a Flow-GRPO-Fast window of 2 SDE steps is
 * trained, LoRA r 32 on the attention projections, random SD3.5-shaped prompt embeddings (333 x
 * 4096), and three cheap synthetic rewards on a preview of the latents (first three channels) in
 * place of the VAE and real reward models, whose costs are not part of this measurement.
 */
final class Sd35mLoop implements LoopSetup {
    private final NDManager root;
    private final MmditModel model;
    private final Method method;
    private final TrainerConfig config;
    private final int layers;
    private final int latent;

    private Sd35mLoop(NDManager root, MmditModel model, Method method, TrainerConfig config, int layers, int latent) {
        this.root = root;
        this.model = model;
        this.method = method;
        this.config = config;
        this.layers = layers;
        this.latent = latent;
    }

    static Sd35mLoop create(int layers, int latent, int prompts, int groupSize, long seed) {
        NDManager root = NDManager.newBaseManager();
        try {
            MmditModel model = MmditModel.random(Sd35mShaped.reduced(layers), LoraConfig.builder().build(), root, seed);
            Method gardo = Gardo.onFlowGrpo(RandomProjectionEmbedder.builder().build());
            Sampler base = gardo.sampler();
            Method method = gardo.withSampler(TrajectorySampler.builder().optSteps(base.schedule().steps())
                    .optShift(base.schedule().shift()).optGuidanceScale(base.guidanceScale())
                    .optStochasticStep(base.stochasticStep()).optWindow(SdeWindow.random(2, 0, 5)).build());
            TrainerConfig config = TrainerConfig.builder().optPromptsPerEpoch(prompts).optGroupSize(groupSize)
                    .optPromptsPerSamplingBatch(1).optGroupsPerMicroBatch(1)
                    .optOptimizerStepsPerEpoch(Math.min(2, prompts)).optSeed(seed).build();
            return new Sd35mLoop(root, model, method, config, layers, latent);
        } catch (RuntimeException e) {
            root.close();
            throw e;
        }
    }

    @Override
    public Trainer.Builder trainer() {
        List<Prompt> prompts = new ArrayList<>();
        for (int i = 0; i < 16; i++) {
            prompts.add(Prompt.of("benchmark prompt " + i));
        }
        return Trainer.builder(model, method).optConfig(config).setPrompts(prompts)
                .setTextEncoder(new RandomTextEncoder(Sd35mShaped.TEXT_TOKENS, 4096, 2048, 17))
                .optDecoder(x -> x.get(new NDIndex(":, 0:3, :, :")).tanh().add(1).div(2))
                .setSampleShape(new Shape(16, latent, latent))
                .setReward(new SyntheticReward("brightness"))
                .addAuxiliaryReward(new SyntheticReward("contrast"))
                .addAuxiliaryReward(new SyntheticReward("warmth"));
    }

    @Override
    public String description() {
        int px = latent * 8;
        int tokens = (latent / 2) * (latent / 2);
        return Sd35mShaped.describe(layers) + "; " + px + " px (latents 16x" + latent + "x" + latent + ", " + tokens
                + " image + " + Sd35mShaped.TEXT_TOKENS + " text tokens), " + model.parameterCount() + " base parameters; "
                + "GARDO on Flow-GRPO (10 steps, shift 3, CFG 4.5, Flow-GRPO-Fast window of 2 trained SDE steps), LoRA r "
                + model.adapters().config().rank() + "; " + config.promptsPerEpoch() + " prompts x " + config.groupSize()
                + " images per epoch; synthetic rewards on a latent preview (no VAE, no reward models)";
    }

    @Override
    public void close() {
        model.close();
        root.close();
    }
}
