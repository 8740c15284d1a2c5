package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import io.diffrl4j.models.testing.Sd35MediumLayout;
import io.diffrl4j.models.testing.TinySd3Folder;
import io.diffrl4j.models.text.TinyClip;
import io.diffrl4j.models.text.tokenizer.TinyTokenizers;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** sd35-finetune end to end on a tiny SD3.5 folder (CPU): the report, resume, the dry-run plan and bad flags. */
class Sd35FinetuneTest {
    @TempDir
    static Path tmp;
    static Path model;
    static Path prompts;
    static Path clip;

    @BeforeAll
    static void folder() throws Exception {
        model = TinySd3Folder.write(tmp.resolve("sd"), 3);
        prompts = Files.writeString(tmp.resolve("prompts.txt"), "a photo of a dog\n\nphotography\ndog\n");
        clip = tmp.resolve("clip");
        try (NDManager m = NDManager.newBaseManager()) {
            TinyClip.writeClipModel(clip, TinyClip.clipWeights(m, 9));
        }
        TinyTokenizers.clipL(clip);
        Files.writeString(clip.resolve("preprocessor_config.json"),
                "{\"crop_size\": {\"height\": 8, \"width\": 8}, \"size\": {\"shortest_edge\": 8}, \"resample\": 3}");
    }

    static String[] args(Path out, String method, int epochs, String... more) {
        List<String> a = new ArrayList<>(List.of("--model", model.toString(), "--prompts", prompts.toString(), "--out",
                out.toString(), "--method", method, "--reward", "jpeg", "--resolution", "32", "--epochs",
                String.valueOf(epochs), "--prompts-per-epoch", "2", "--group-size", "2", "--images-per-micro-batch", "2",
                "--eval-prompts", "2", "--eval-images", "2", "--eval-steps", "3", "--eval-every", "1",
                "--checkpoint-every", "1", "--lora-rank", "4", "--lora-alpha", "8"));
        a.addAll(List.of(more));
        return a.toArray(String[]::new);
    }

    @Test
    void gardoRunWritesTheWholeReportAndResumes() throws Exception {
        Path out = tmp.resolve("gardo");
        String[] gardo = {"--auxiliary-rewards", "clipscore=" + clip, "--embedder", clip.toString()};
        String console = run(Sd35Options.parse(args(out, "gardo", 1, gardo)));
        assertFalse(console.contains("GARDO's diversity-aware advantages are off"), console);
        for (String f : List.of("config.json", "metrics.csv", "metrics.jsonl", "eval.csv", "before.png", "after.png",
                "curves-reward.png", "curves-kl.png", "summary.md", "checkpoints/latest",
                "lora/peft/adapter_config.json", "lora/peft/adapter_model.safetensors",
                "lora/diffusers/pytorch_lora_weights.safetensors")) {
            assertTrue(Files.exists(out.resolve(f)), f);
        }
        assertEquals(2, Files.readAllLines(out.resolve("metrics.csv")).size());
        // a run killed after training epoch 2 but before its checkpoint left rows behind; the resume drops them
        List<String> metrics = Files.readAllLines(out.resolve("metrics.csv"));
        String killedRow = "1" + metrics.get(1).substring(metrics.get(1).indexOf(','));
        Files.writeString(out.resolve("metrics.csv"), killedRow + "\n", java.nio.file.StandardOpenOption.APPEND);
        int evalColumns = Files.readAllLines(out.resolve("eval.csv")).get(0).split(",").length;
        Files.writeString(out.resolve("eval.csv"), "2" + ",123.0".repeat(evalColumns - 1) + "\n",
                java.nio.file.StandardOpenOption.APPEND);
        // resumed to 2 epochs: one more epoch appended, the first evaluation kept
        String[] resume = java.util.Arrays.copyOf(gardo, gardo.length + 1);
        resume[gardo.length] = "--resume";
        String again = run(Sd35Options.parse(args(out, "gardo", 2, resume)));
        assertTrue(again.contains("resumed from " + out.resolve("checkpoints") + " after epoch 1"), again);
        assertEquals(3, Files.readAllLines(out.resolve("metrics.csv")).size());
        List<String> eval = Files.readAllLines(out.resolve("eval.csv"));
        assertEquals("epoch,reward_mean,prompt_1", eval.get(0).substring(0, "epoch,reward_mean,prompt_1".length()));
        assertEquals(List.of("0", "1", "2"), eval.subList(1, 4).stream().map(l -> l.split(",")[0]).toList());
        assertEquals(4, eval.size(), "the killed run's evaluation row is gone");
        assertFalse(eval.get(3).endsWith(",123.0"), eval.get(3));
    }

    @Test
    void crdRunsThroughTheSameCommandAndANextRunStartsFromItsLora() throws Exception {
        Path out = tmp.resolve("crd");
        run(Sd35Options.parse(args(out, "crd", 1)));
        String summary = Files.readString(out.resolve("summary.md"));
        assertTrue(summary.startsWith("# SD3.5 fine-tune: crd on `jpeg`"), summary);
        assertTrue(summary.contains("\n## What changed\n\n- **Held-out reward** (`jpeg`, mean over the "), summary);
        assertTrue(summary.contains("- **Training reward** (on the training samples; each epoch draws "), summary);
        Path diffusersFile = out.resolve("lora/diffusers/pytorch_lora_weights.safetensors");
        assertTrue(Files.exists(diffusersFile));

        // The next run starts from that LoRA: its "before" evaluation is the first run's "after"
        Path next = tmp.resolve("crd-next");
        String console = run(Sd35Options.parse(args(next, "crd", 1, "--init-lora", diffusersFile.toString())));
        assertTrue(console.contains("policy LoRA initialised from " + diffusersFile), console);
        List<String> first = Files.readAllLines(out.resolve("eval.csv"));
        List<String> second = Files.readAllLines(next.resolve("eval.csv"));
        assertEquals(first.get(first.size() - 1).split(",")[1], second.get(1).split(",")[1]);

        // A LoRA of another rank is refused by name
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> run(Sd35Options.parse(
                args(tmp.resolve("crd-bad"), "crd", 1, "--init-lora", out.resolve("lora/peft").toString(), "--lora-rank", "2"))));
        assertTrue(e.getMessage().contains("has r=4, lora_alpha=8.0 but the model's adapters use r=2"), e.getMessage());
    }

    @ParameterizedTest
    @ValueSource(strings = {"flow-grpo", "flow-grpo-kl", "diffusion-nft"})
    void theBaselinesRunThroughTheSameCommand(String method) throws Exception {
        Path out = tmp.resolve(method);
        run(Sd35Options.parse(args(out, method, 1)));
        assertEquals(2, Files.readAllLines(out.resolve("metrics.csv")).size());
        assertTrue(Files.exists(out.resolve("after.png")));
        Path exported = out.resolve("lora/peft/adapter_model.safetensors");
        // the method keeps the references' evaluation EMA: the exported LoRA is that set, not the policy
        Path adapters = out.resolve("checkpoints/checkpoint-1/adapters");
        assertEquals(-1, Files.mismatch(exported, adapters.resolve("ema/adapter_model.safetensors")), "the EMA set");
        assertNotEquals(-1, Files.mismatch(exported, adapters.resolve("policy/adapter_model.safetensors")),
                "after an optimizer step the policy differs from its EMA");
    }

    @Test
    void dryRunPrintsThePlanAndWritesNothing() throws Exception {
        Path out = tmp.resolve("dry");
        String plan = run(Sd35Options.parse(args(out, "flow-grpo", 5, "--dry-run")));
        assertTrue(plan.contains("per epoch: 2 prompts x 2 images = 4 images at 32 px (64 image tokens + 333 text)"), plan);
        assertTrue(plan.contains("training: 5 epochs = 20 images, 10 optimizer steps"), plan);
        assertTrue(plan.contains("transformer"), plan);
        assertTrue(plan.contains("[BF16]"), plan);
        assertTrue(plan.contains("estimated peak accelerator memory"), plan);
        assertTrue(!Files.exists(out), "a dry run writes nothing");
    }

    @Test
    void planOfTheRealSd35MediumLayout() throws Exception {
        Path sd35 = Sd35MediumLayout.withSparseWeights(Sd35MediumLayout.configs(tmp.resolve("sd35m")));
        String plan = run(Sd35Options.parse(new String[] {"--model", sd35.toString(), "--prompts", prompts.toString(),
            "--method", "crd", "--out", tmp.resolve("sd35m-run").toString(), "--dry-run", "--dtype", "fp16"}));
        assertTrue(plan.contains("transformer       2,469,663,936 parameters"), plan);
        // r (in + out) over the 191 targeted projections of the real key list, computed apart from the code
        assertTrue(plan.contains("LoRA: 18,776,064 parameters per set"), plan);
        assertTrue(plan.contains("embeddings 333 x 4096 + pooled 2048"), plan);
        assertTrue(plan.contains("per epoch: 48 prompts x 24 images = 1152 images at 512 px (1024 image tokens + 333 text)"),
                plan);
    }

    @Test
    void badFlagsAndSettingsAreNamed() throws Exception {
        assertEquals("unknown option --epoch; did you mean --epochs?",
                assertThrows(IllegalArgumentException.class, () -> Sd35Options.parse(new String[] {"--epoch", "3"})).getMessage());
        assertEquals("--epochs 2.5: must be a whole number", assertThrows(IllegalArgumentException.class,
                () -> Sd35Options.parse(args(tmp.resolve("x"), "crd", 1, "--epochs", "2.5"))).getMessage());
        assertEquals("--method grpo: unknown method; choose one of [gardo, crd, flow-grpo, flow-grpo-kl, diffusion-nft, grpo-guard, mix-grpo, dance-grpo, awm, dgpo, tempflow-grpo]",
                assertThrows(IllegalArgumentException.class, () -> Sd35Options.parse(args(tmp.resolve("x"), "grpo", 1)))
                        .getMessage());
        assertEquals("--model DIR and --prompts FILE are required",
                assertThrows(IllegalArgumentException.class, () -> Sd35Options.parse(new String[] {"--method", "crd"}))
                        .getMessage());
        Path config = Files.writeString(tmp.resolve("run.json"), "{\"epochs\": 7, \"lr\": 1e-4, \"steps\": 3}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sd35Options.parse(args(tmp.resolve("x"), "crd", 1, "--config", config.toString())));
        assertTrue(e.getMessage().startsWith("--config " + config + ": unknown key \"steps\""), e.getMessage());
        assertTrue(Sd35Options.usage().contains("--group-size"));
        e = assertThrows(IllegalArgumentException.class, () -> Sd35Options.parse(args(tmp.resolve("x"), "gardo", 1)));
        assertTrue(e.getMessage().startsWith("--auxiliary-rewards jpeg: gardo's gate needs an auxiliary reward other than "
                + "the reward 'jpeg'"), e.getMessage());
    }

    @Test
    void aConfigFileSetsOptionsAndFlagsWin() throws Exception {
        Path config = Files.writeString(tmp.resolve("ok.json"), "{\"epochs\": 7, \"lr\": 1e-4, \"reward\": \"ocr\"}");
        Sd35Options o = Sd35Options.parse(new String[] {"--config", config.toString(), "--model", "m", "--prompts", "p",
            "--epochs", "9", "--method", "crd"});
        assertEquals(9, o.epochs());
        assertEquals(1e-4, o.learningRate());
        assertEquals("ocr", o.reward());
        assertEquals(Path.of("runs", "sd35-crd").toAbsolutePath(), o.out(), "relative to the working directory");
        assertEquals(24, o.groupSize());
        assertEquals(48, o.promptsPerEpoch());
        assertEquals(32, o.loraRank());
    }

    private static String run(Sd35Options o) throws Exception {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (PrintStream console = new PrintStream(bytes, true, StandardCharsets.UTF_8)) {
            Sd35Finetune.run(o, console);
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }
}
