package io.diffrl4j.examples.readme;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.adapter.AdapterFiles;
import io.diffrl4j.core.adapter.AdapterRoles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.advantage.GroupRelativeAdvantage;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.core.flow.StratifiedRolloutNoiseLevels;
import io.diffrl4j.core.method.Method;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.mmdit.MmditModel;
import io.diffrl4j.core.model.AdaptedFlowModel;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.LatentDecoder;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.core.objective.KlForm;
import io.diffrl4j.core.objective.KlStrength;
import io.diffrl4j.core.objective.ReferenceKl;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.rewards.mix.WeightedRewardSum;
import io.diffrl4j.core.sampling.Rollout;
import io.diffrl4j.core.schedule.EmaDecay;
import io.diffrl4j.core.schedule.EmaSchedule;
import io.diffrl4j.core.schedule.PolicyEma;
import io.diffrl4j.models.sd3.Sd3PromptEncoder;
import io.diffrl4j.models.sd3.StableDiffusion3Folder;
import io.diffrl4j.core.train.CheckpointListener;
import io.diffrl4j.core.train.ConsoleProgress;
import io.diffrl4j.core.train.MetricsLogger;
import io.diffrl4j.core.train.Trainer;
import io.diffrl4j.core.train.TrainerConfig;
import io.diffrl4j.models.vae.AutoencoderKL;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import io.diffrl4j.methods.crd.CenteringScope;
import io.diffrl4j.regularizers.crd.CfgAnchoredKl;
import io.diffrl4j.methods.awm.Awm;
import io.diffrl4j.methods.crd.Crd;
import io.diffrl4j.methods.crd.CrdObjective;
import io.diffrl4j.methods.crd.ImplicitRewardForm;
import io.diffrl4j.regularizers.crd.KlStrengthMode;
import io.diffrl4j.methods.crd.MatchingLoss;
import io.diffrl4j.regularizers.crd.RewardAdaptiveKlStrength;
import io.diffrl4j.methods.crd.SamplerMode;
import io.diffrl4j.methods.flowgrpo.FlowGrpo;
import io.diffrl4j.methods.gardo.Gardo;
import io.diffrl4j.methods.grpoguard.GrpoGuard;
import io.diffrl4j.methods.mixgrpo.MixGrpo;
import io.diffrl4j.regularizers.gardo.AdaptiveReference;
import io.diffrl4j.regularizers.gardo.GatedKl;
import io.diffrl4j.methods.nft.DiffusionNft;
import io.diffrl4j.rewards.embed.RandomProjectionEmbedder;
import io.diffrl4j.rewards.ocr.OcrEngine;
import io.diffrl4j.rewards.ocr.OcrReward;
import io.diffrl4j.samplers.SdeWindow;
import io.diffrl4j.samplers.TrajectorySampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * The README's Java, compiled: each block the README quotes lies here between a {@code // README}
 * marker and {@code // END}, and the test checks that the README holds exactly these blocks, so an
 * API change that breaks an example breaks this build. The blocks that need no model also run.
 * The example reward class is {@link BrightnessReward}, quoted whole.
 */
class ReadmeExamplesTest {
    private static final Path README = Path.of("..", "README.md");
    private static final Path HERE = Path.of("src/test/java/io/diffrl4j/examples/readme");

    static void usingItFromJava(Conditioning prompts, Conditioning negative) throws IOException {
        // README
        try (NDManager root = NDManager.newBaseManager();
             WeightSource weights = WeightSources.open(Path.of("sd3.5-medium/transformer"));
             MmditModel model = MmditModel.load(MmditConfig.fromJson(Path.of("sd3.5-medium/transformer/config.json")),
                     LoraConfig.builder().build(),           // r 32, alpha 64, attention projections
                     weights, root, DataType.FLOAT16)) {     // bf16 files are converted while reading
            Adapters adapters = model.adapters();
            AdapterSet policy = adapters.create("policy", true, new SeededNoise(0));   // Gaussian A, zero B
            adapters.copyOf("reference", policy, false);                              // GARDO's reference
            adapters.get("reference").blend(policy, 0.25);                            // EMA: d*snap + (1-d)*theta
            adapters.use("policy");                                                   // adapters.disable() = pretrained

            TrajectorySampler sampler = TrajectorySampler.builder()                   // Flow-GRPO: 10 SDE steps,
                    .optWindow(SdeWindow.random(2, 0, 6))                             // or a fast window
                    .build();                                                         // CFG 4.5, a = 0.7, shift 3
            Rollout rollout = sampler.sample(root, model, prompts, negative, 24, new Shape(16, 64, 64), new SeededNoise(1));
            // rollout.samples(): (P*24, 16, 64, 64); rollout.steps(): x, next, log-prob, mean, std per SDE step

            AdapterFiles.save(policy, adapters.config(), Path.of("out/policy"), AdapterFiles.Format.PEFT);
        }
        // END
    }

    static List<Method> methods() {
        // README
        Method grpo = FlowGrpo.method();                        // SDE a=0.7, CFG 4.5, clip 1e-4, KL beta 0.04 (code form)
        Method nft  = DiffusionNft.method();                    // ODE rollouts from the "old" EMA, beta_nft 1, KL 1e-4
        Method mine = FlowGrpo.method()
                .withSampler(FlowGrpo.sampler().optSteps(20).build())                   // steps, shift, CFG, a: the sampler's
                .withRegularizer(new ReferenceKl(null, null, KlForm.PAPER, KlStrength.constant(0.01)))
                .withAdvantages(new GroupRelativeAdvantage(false, 5.0))                 // group std instead of batch std
                .without(PolicyEma.STATE_KEY);                                          // no evaluation EMA
        // END
        return List.of(grpo, nft, mine);
    }

    static void training(AdaptedFlowModel model, Method grpo, List<Prompt> prompts, TextEncoder encoder, LatentDecoder vae,
            RewardFunction ocr, RewardFunction aesthetic) throws Exception {
        // README
        try (Trainer trainer = Trainer.builder(model, grpo)
                .optConfig(TrainerConfig.builder()                // defaults: 48 prompts x 24 images, 2 steps/epoch,
                        .optPromptsPerSamplingBatch(4)            // AdamW 3e-4 (0.9, 0.999), wd 1e-4, clip 1.0
                        .optGroupsPerMicroBatch(2).build())
                .setPrompts(prompts)                              // List<Prompt>: text + reward metadata
                .setTextEncoder(encoder)                          // prompts -> Conditioning (cached)
                .optDecoder(vae)                                  // latents -> images in [0, 1]
                .setSampleShape(new Shape(16, 64, 64))
                .setReward(ocr)                                   // the proxy being optimised
                .addAuxiliaryReward(aesthetic)                    // scored alongside (GARDO's gate, held-out metrics)
                .addListener(new MetricsLogger(Path.of("runs/ocr")))            // metrics.csv + metrics.jsonl
                .addListener(new CheckpointListener(Path.of("runs/ocr/ckpt"), 10))
                .addListener(new ConsoleProgress(System.out, 300))
                .build()) {
            trainer.resume(Path.of("runs/ocr/ckpt"));   // only when continuing: restores adapters, optimizer, counters
            trainer.trainUntil(300);
        }
        // END
    }

    static List<Method> gardo(AdaptedFlowModel model, RewardFunction geneval, RewardFunction aesthetic, RewardFunction imageReward) {
        // README
        Method gardo = Gardo.onFlowGrpo(RandomProjectionEmbedder.builder().build());   // any ImageEmbedder
        Method gatedCrd = Gardo.withGate(Crd.method(), GatedKl.officialCode());         // GARDO's gate on CRD's anchored KL
        Trainer.Builder trainer = Trainer.builder(model, gardo).setReward(geneval)
                .addAuxiliaryReward(aesthetic).addAuxiliaryReward(imageReward);         // the gate's reliability signals
        // END
        return List.of(gardo, gatedCrd);
    }

    static Method crdParts() {
        // README
        Method port = Crd.method(SamplerMode.ON_POLICY)
                .withObjective(new CrdObjective(1.0, ImplicitRewardForm.PLAIN, CenteringScope.MICRO_BATCH,
                        MatchingLoss.BCE, new StratifiedRolloutNoiseLevels(), AdapterRoles.OLD))
                .withRegularizer(new CfgAnchoredKl(4.5, KlStrengthMode.PER_BATCH.create(0.1, 1e-4)))
                .withSchedule(Crd.oldEma(EmaDecay.parse("0-0.5-0.005-0.999")));
        // END
        return port;
    }

    static Method mixingRewards(AdaptedFlowModel model, RewardFunction ocr, RewardFunction pickScore, RewardFunction aesthetic) {
        // README
        WeightedRewardSum ocrAndPick = WeightedRewardSum.builder()      // Flow-GRPO: r = sum w_k r_k (raw scores)
                .add(ocr, 1.0).add(pickScore, 0.5).build();
        Method grpo = FlowGrpo.method();
        Trainer.Builder trainer = Trainer.builder(model, grpo).setReward(ocrAndPick) // each part is scored once and
                .addAuxiliaryReward(aesthetic);                           // logged under its own name; GARDO's gate
                                                                          // never counts the parts as auxiliaries
        Method mixed = grpo.withAdvantages(ocrAndPick.advantages());     // MixGRPO / Flow-Factory: each
                                                                          // reward normalised in its group, then summed
        // END
        return mixed;
    }

    static void sd35(Path modelFolder, List<Prompt> prompts, OcrEngine engine) throws Exception {
        // README
        StableDiffusion3Folder sd = StableDiffusion3Folder.open(modelFolder);   // the diffusers folder on disk
        try (NDManager root = NDManager.newBaseManager(Device.gpu());
             Sd3PromptEncoder text = Sd3PromptEncoder.builder(sd).optClipDtype(DataType.FLOAT16)
                     .optCacheDtype(DataType.FLOAT16).build(root)) {
            text.encode(prompts.stream().map(Prompt::text).toList(), root);   // encode and cache once
            text.releaseEncoders();                                           // frees CLIP-L, CLIP-G and T5
            try (MmditModel model = sd.loadTransformer(LoraConfig.builder().build(), root, DataType.FLOAT16);
                 AutoencoderKL vae = sd.loadVae(root, DataType.FLOAT16);
                 Trainer trainer = Trainer.builder(model, Crd.method()).setPrompts(prompts).setTextEncoder(text)
                         .optDecoder(vae).setSampleShape(new Shape(16, 64, 64)).setReward(new OcrReward(engine))
                         .addListener(new CheckpointListener(Path.of("runs/ocr-crd/checkpoints"), 5)).build()) {
                trainer.trainUntil(100);
            }
        }
        // END
    }

    static List<Method> compositions() {
        // README
        Method anchoredGuard = GrpoGuard.method().withRegularizer(Crd.kl(Crd.BETA));   // CRD's CFG-anchored, reward-adaptive KL
        Method gatedMix = Gardo.on(MixGrpo.method().withRegularizer(FlowGrpo.kl(0.07)),  // GARDO's gated KL and adaptive
                GatedKl.builder(), AdaptiveReference.flowGrpo());                        // reference on MixGRPO
        Method gatedAwm = Gardo.withGate(Awm.method(), GatedKl.builder());  // GARDO's gate on AWM's KL to the
                                                                            // pretrained model; its KL to the EMA stays
        // END
        return List.of(anchoredGuard, gatedMix, gatedAwm);
    }

    @Test
    void theCompositionsPutOneMethodsRegularizerOnAnothersObjective() {
        List<Method> methods = compositions();
        assertInstanceOf(CfgAnchoredKl.class, methods.get(0).regularizers().get(0));
        assertEquals("grpo-guard", methods.get(0).name());
        assertInstanceOf(GatedKl.class, methods.get(1).regularizers().get(0));
        assertEquals("gardo-mix-grpo", methods.get(1).name());
        assertInstanceOf(GatedKl.class, methods.get(2).regularizers().get(0));
        assertEquals("kl_ema", methods.get(2).regularizers().get(1).name());
    }

    @Test
    void theReadmeQuotesExactlyTheseBlocks() throws IOException {
        List<String> quoted = javaBlocks(Files.readString(README));
        List<String> compiled = markedBlocks(Files.readString(HERE.resolve("ReadmeExamplesTest.java")));
        String reward = Files.readString(HERE.resolve("BrightnessReward.java"));
        compiled.add(reward.substring(reward.indexOf("public final class")));
        assertEquals(compiled.size(), quoted.size(), "the README's Java blocks and the compiled ones");
        for (String block : quoted) {
            assertTrue(compiled.contains(block), "a README Java block is not compiled here:\n" + block);
        }
    }

    @Test
    void theMethodBlocksBuildWhatTheySay() {
        List<Method> methods = methods();
        Method mine = methods.get(2);
        assertEquals(20, mine.sampler().schedule().steps());
        assertEquals(KlForm.PAPER, ((ReferenceKl) mine.regularizers().get(0)).form());
        assertEquals(List.of(), mine.snapshots(), "no evaluation EMA");
        Method port = crdParts();
        assertEquals(AdapterRoles.POLICY, port.samplingSet());
        assertEquals(MatchingLoss.BCE, ((CrdObjective) port.objective()).loss());
        assertTrue(!((RewardAdaptiveKlStrength) ((CfgAnchoredKl) port.regularizers().get(0)).strength()).isPerSample());
        assertEquals(new EmaDecay(0, 0.5, 0.005, 0.999), ((EmaSchedule) port.schedules().get(0)).decay());
        assertEquals(List.of(AdapterRoles.OLD, AdapterRoles.EMA), port.snapshots());
    }

    @Test
    void theRewardBlockScoresMeanBrightness() {
        ImageBatch images = new ImageBatch(new float[] {0, 1, 1, 1, 0.5f, 0.5f, 0.5f, 0.5f}, 2, 1, 2, 2);
        double[] s = new BrightnessReward().score(images, List.of(Prompt.of("a"), Prompt.of("b")));
        assertEquals(0.75, s[0], 1e-7);
        assertEquals(0.5, s[1], 1e-7);
    }

    private static List<String> javaBlocks(String markdown) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("```java\n(.*?)```", Pattern.DOTALL).matcher(markdown);
        while (m.find()) {
            out.add(m.group(1));
        }
        return out;
    }

    private static List<String> markedBlocks(String source) {
        List<String> out = new ArrayList<>();
        Matcher m = Pattern.compile("\n( *)// README\n(.*?)\n *// END\n", Pattern.DOTALL).matcher(source);
        while (m.find()) {
            String indent = m.group(1);
            StringBuilder block = new StringBuilder();
            for (String line : m.group(2).split("\n", -1)) {
                block.append(line.startsWith(indent) ? line.substring(indent.length()) : line.strip()).append('\n');
            }
            out.add(block.toString());
        }
        return out;
    }
}
