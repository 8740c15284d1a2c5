package com.example.consumer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.train.EpochReport;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.rewards.embed.RandomProjectionEmbedder;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import java.util.ArrayList;
import java.util.List;

/**
 * Trains GARDO (on Flow-GRPO, the paper's defaults) for one epoch on a tiny, randomly initialised
 * SD3.5-shaped MMDiT in pixel space (3 x 8 x 8 images), on the CPU, and prints one line. The proxy
 * reward is brightness; JPEG compressibility is the auxiliary reward GARDO's gate compares it
 * with, and a random-projection embedder feeds its diversity-aware advantages. Exits with status 1
 * when the epoch did not train (a non-finite metric, or a policy adapter that did not move).
 */
public final class TrainOneEpoch {
    private TrainOneEpoch() {}

    /** @param args none */
    public static void main(String[] args) throws Exception {
        MmditConfig config = MmditConfig.builder().optSampleSize(8).optPatchSize(2).optInChannels(3).optOutChannels(3)
                .optNumLayers(2).optAttentionHeadDim(8).optNumAttentionHeads(2).optJointAttentionDim(12)
                .optCaptionProjectionDim(16).optPooledProjectionDim(10).optPosEmbedMaxSize(8)
                .optDualAttentionLayers(List.of(0)).optQkNorm("rms_norm").build();
        Method gardo = Gardo.onFlowGrpo(RandomProjectionEmbedder.builder().build());
        TrainerConfig trainerConfig = TrainerConfig.builder().optPromptsPerEpoch(4).optGroupSize(4)
                .optPromptsPerSamplingBatch(2).optGroupsPerMicroBatch(2).optOptimizerStepsPerEpoch(1).optSeed(7).build();
        List<Prompt> prompts = List.of(Prompt.of("a red circle"), Prompt.of("two blue squares"),
                Prompt.of("a green triangle left of a yellow circle"), Prompt.of("three red triangles"));

        long start = System.nanoTime();
        try (NDManager root = NDManager.newBaseManager();
                MmditModel model = MmditModel.random(config, LoraConfig.builder().optRank(4).optAlpha(8).build(), root, 42);
                Trainer trainer = Trainer.builder(model, gardo).optConfig(trainerConfig).setPrompts(prompts)
                        .setTextEncoder(new RandomTextEncoder(4, config.jointAttentionDim(), config.pooledProjectionDim()))
                        .setSampleShape(new Shape(config.inChannels(), config.sampleSize(), config.sampleSize()))
                        // Pixel-space samples in about [-1, 1] to images in [0, 1].
                        .optDecoder(samples -> samples.clip(-1, 1).add(1).div(2))
                        .setReward(new BrightnessReward())
                        .addAuxiliaryReward(new JpegCompressibilityReward())
                        .build()) {
            List<float[]> before = copy(model.adapters().get(AdapterRoles.POLICY).parameters());
            EpochReport report = trainer.epoch();
            double moved = largestChange(before, model.adapters().get(AdapterRoles.POLICY).parameters());
            double seconds = (System.nanoTime() - start) / 1e9;

            String[] names = {"reward/brightness/mean", "reward/jpeg/mean", "kl", "loss", "grad_norm", "gate_fraction"};
            StringBuilder line = new StringBuilder(gardo.name()).append(": epoch ").append(trainer.completedEpochs())
                    .append(", ").append(trainerConfig.promptsPerEpoch() * trainerConfig.groupSize()).append(" images");
            boolean finite = true;
            for (String name : names) {
                double v = report.get(name);
                finite &= Double.isFinite(v);
                line.append(", ").append(name).append(' ').append(String.format("%.4g", v));
            }
            line.append(String.format(", policy LoRA moved %.3g, %.1f s", moved, seconds));
            System.out.println(line);
            if (!finite || !(moved > 0) || trainer.completedEpochs() != 1) {
                System.err.println("the epoch did not train: a metric is not finite or the policy adapter did not move");
                System.exit(1);
            }
        }
    }

    private static List<float[]> copy(List<NDArray> arrays) {
        List<float[]> out = new ArrayList<>();
        for (NDArray a : arrays) {
            out.add(a.toFloatArray());
        }
        return out;
    }

    /** @return the largest absolute change of any adapter weight */
    private static double largestChange(List<float[]> before, List<NDArray> after) {
        double largest = 0;
        for (int i = 0; i < before.size(); i++) {
            float[] a = before.get(i);
            float[] b = after.get(i).toFloatArray();
            for (int k = 0; k < a.length; k++) {
                largest = Math.max(largest, Math.abs(b[k] - a[k]));
            }
        }
        return largest;
    }
}
