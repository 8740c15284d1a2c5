package io.diffrl4j.examples.sd35;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.CommandLine;
import io.diffrl4j.examples.cli.Option;
import io.diffrl4j.examples.cli.OutputFolder;
import io.diffrl4j.examples.cli.UsageException;
import io.diffrl4j.methods.nft.DiffusionNftRecipe;
import io.diffrl4j.rewards.registry.RewardRegistry;
import io.diffrl4j.rewards.registry.RewardSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Everything {@code sd35-finetune} is told, validated. Defaults are the SD3.5-Medium ones of
 * docs/ALGORITHMS.md sections 7.7 and 9: 512 px, 48 prompts x 24 images per epoch, 2 optimizer steps,
 * AdamW 3e-4, LoRA rank 32 / alpha 64, 40-step ODE evaluation. Each can be overridden by a flag
 * or by the same key in a JSON file given with {@code --config} (flags win over the file).
 *
 * @param model the diffusers pipeline folder
 * @param method gardo, crd, flow-grpo, flow-grpo-kl or diffusion-nft
 * @param reward reward specs for {@link RewardRegistry#standard()}, e.g. {@code ocr} or
 *     {@code pickscore=DIR*0.5,jpeg*0.5}
 * @param auxiliaryRewards rewards scored beside it for GARDO's gate and the metrics (each spec a
 *     separate reward), or null; GARDO needs at least one (the paper uses Aesthetic and ImageReward,
 *     which need weights; the command line's default is {@value #DEFAULT_AUXILIARY_REWARDS}, which
 *     needs none)
 * @param prompts the training prompt file: plain text (one prompt per line) or GenEval JSONL
 * @param evalPromptFile the held-out prompt file, or null to hold out the first prompts of {@code prompts}
 * @param out the run's folder
 * @param epochs epochs to train (in all, counting those of a resumed run)
 * @param resolution image side in pixels (a multiple of 8 x the patch size)
 * @param promptsPerEpoch P
 * @param groupSize G, images per prompt
 * @param optimizerSteps optimizer steps per epoch
 * @param imagesPerMicroBatch images per forward/backward pass (bounds activation memory)
 * @param samplingPrompts prompts sampled together (their G images in one batch)
 * @param learningRate AdamW learning rate
 * @param loraRank LoRA rank r
 * @param loraAlpha LoRA alpha (scale alpha / r)
 * @param seed the run's seed
 * @param evalPrompts held-out prompts in the before/after grids and evaluations
 * @param evalImages images per held-out prompt
 * @param evalSteps ODE steps of the evaluation sampler
 * @param evalEvery evaluate every this many epochs
 * @param checkpointEvery checkpoint every this many epochs (and at the end)
 * @param resume continue from {@code out/checkpoints} when it holds a checkpoint
 * @param dtype the base transformer's precision: auto (fp16 on a GPU, fp32 on the CPU), fp16 or fp32
 * @param embedder a CLIPModel folder for GARDO's diversity shaping, or null (shaping off)
 * @param initLora a LoRA to start from: a PEFT adapter folder (Flow-GRPO, DiffusionNFT and GARDO
 *     checkpoints) or a folder or file of diffusers' {@code pytorch_lora_weights.safetensors}; or
 *     null to start from a fresh LoRA (zero B, the base model)
 * @param dryRun print the plan and exit
 * @param klBeta the KL coefficient (beta) of the method's KL regularizer, or null for the method's
 *     own (flow-grpo 0, flow-grpo-kl 0.04, gardo 0.07, 0.04 for OCR, diffusion-nft 1e-4, crd 0.1)
 */
public record Sd35Options(Path model, String method, String reward, String auxiliaryRewards, Path prompts, Path evalPromptFile, Path out, int epochs,
        int resolution, int promptsPerEpoch, int groupSize, int optimizerSteps, int imagesPerMicroBatch,
        int samplingPrompts, double learningRate, int loraRank, double loraAlpha, long seed, int evalPrompts, int evalImages,
        int evalSteps, int evalEvery, int checkpointEvery, boolean resume, String dtype, Path embedder, Path initLora, boolean dryRun, Double klBeta) {

    /** The methods by the names users type. */
    public static final List<String> METHODS = List.of("gardo", "crd", "flow-grpo", "flow-grpo-kl", "diffusion-nft",
            "grpo-guard", "mix-grpo", "dance-grpo", "awm", "dgpo", "tempflow-grpo");

    /** The auxiliary reward when none is named: it needs no weights, so GARDO's gate runs out of the box. */
    public static final String DEFAULT_AUXILIARY_REWARDS = "jpeg";

    /** The command line of {@code bin/sd35-finetune}: every setting with its description and default, in usage order. */
    static final CommandLine COMMAND_LINE = commandLine();

    /** Validates ranges and names. */
    public Sd35Options {
        if (model == null || prompts == null) {
            throw new IllegalArgumentException("--model and --prompts are required");
        }
        if (out == null) {
            throw new IllegalArgumentException("an output folder (--out) is required");
        }
        if (!METHODS.contains(method)) {
            throw new IllegalArgumentException("unknown method '" + method + "'; choose one of " + METHODS);
        }
        List<String> known = RewardRegistry.standard().names();
        List<RewardSpec> specs = new ArrayList<>(RewardSpec.parseAll(reward));
        if (auxiliaryRewards != null) {
            specs.addAll(RewardSpec.parseAll(auxiliaryRewards));
        }
        for (RewardSpec spec : specs) {
            if (!known.contains(spec.name())) {
                throw new IllegalArgumentException("unknown reward '" + spec.name() + "'; choose from " + known);
            }
        }
        if (method.equals("gardo") && auxiliaryRewards == null) {
            throw new IllegalArgumentException("gardo's gate needs --auxiliary-rewards SPECS other than the reward to "
                    + "compare it with (the paper uses Aesthetic and ImageReward, e.g. --auxiliary-rewards aesthetic=DIR)");
        }
        positive("epochs", epochs);
        positive("prompts-per-epoch", promptsPerEpoch);
        positive("optimizer-steps", optimizerSteps);
        positive("images-per-micro-batch", imagesPerMicroBatch);
        positive("sampling-prompts", samplingPrompts);
        positive("lora-rank", loraRank);
        positive("eval-prompts", evalPrompts);
        positive("eval-steps", evalSteps);
        positive("eval-every", evalEvery);
        positive("checkpoint-every", checkpointEvery);
        if (groupSize < 2) {
            throw new IllegalArgumentException("--group-size must be >= 2 (advantages compare images of a prompt), got " + groupSize);
        }
        if (evalImages < 1) {
            throw new IllegalArgumentException("--eval-images must be >= 1, got " + evalImages);
        }
        if (resolution < 16 || resolution % 16 != 0) {
            throw new IllegalArgumentException("--resolution must be a positive multiple of 16, got " + resolution);
        }
        if (!(learningRate > 0) || Double.isInfinite(learningRate) || !(loraAlpha > 0) || Double.isInfinite(loraAlpha)) {
            throw new IllegalArgumentException("--lr and --lora-alpha must be positive, got " + learningRate + " and " + loraAlpha);
        }
        if (klBeta != null && (!(klBeta >= 0) || Double.isInfinite(klBeta))) {
            throw new IllegalArgumentException("--kl-beta must be finite and >= 0, got " + klBeta);
        }
        if (!List.of("auto", "fp16", "fp32").contains(dtype)) {
            throw new IllegalArgumentException("--dtype is auto, fp16 or fp32, not " + dtype);
        }
    }

    private static CommandLine commandLine() {
        return new CommandLine("bin/sd35-finetune",
                "Fine-tunes a Stable Diffusion 3.5 pipeline folder with a LoRA on rewards by name (GPU when DJL sees "
                        + "one). Defaults: SD3.5-Medium, docs/ALGORITHMS.md sections 7.7 and 9.",
                null,
                List.of(Option.value("model", "DIR", "the diffusers pipeline folder (e.g. stable-diffusion-3.5-medium)", null),
                        Option.value("prompts", "FILE", "training prompts: plain text (one per line) or GenEval JSONL", null),
                        Option.value("method", "METHOD", String.join(", ", METHODS), "gardo"),
                        Option.value("reward", "SPECS", "the reward trained on (see below)", "ocr"),
                        Option.value("auxiliary-rewards", "SPECS", "rewards scored beside it, each on its own: GARDO's gate "
                                + "compares the reward with them (the paper: Aesthetic, ImageReward); 'none' for none",
                                DEFAULT_AUXILIARY_REWARDS),
                        Option.value("eval-prompt-file", "FILE", "held-out prompts (default: the first of --prompts)", null),
                        Option.value("out", "DIR", "the run's folder", "runs/sd35-METHOD"),
                        Option.value("epochs", "N", "epochs to train, in all (a resumed run counts its earlier ones)", "100"),
                        Option.value("resolution", "PX", "image side in pixels, a multiple of 16", "512"),
                        Option.value("prompts-per-epoch", "N", "prompts sampled per epoch", "48"),
                        Option.value("group-size", "G", "images per prompt, >= 2 (advantages compare them)", "24"),
                        Option.value("optimizer-steps", "N", "optimizer steps per epoch (DiffusionNFT: 1 for GenEval and PickScore, "
                                + "2 for OCR, as its reference configs)", "2"),
                        Option.value("images-per-micro-batch", "N", "images per forward/backward pass (bounds memory)", "8"),
                        Option.value("sampling-prompts", "N", "prompts sampled together, their images in one batch", "1"),
                        Option.value("lr", "LR", "AdamW's learning rate on the LoRA", "the method's own: 3e-4, grpo-guard "
                                + "1e-4 (its configs; MixGRPO's and DanceGRPO's 1e-5 is a full fine-tune's, not a LoRA's)"),
                        Option.value("kl-beta", "B", "the KL coefficient (beta) of the method's KL to its reference, >= 0 "
                                + "(0: no KL)", "the method's own: flow-grpo 0, flow-grpo-kl 0.04, gardo 0.07 (0.04 for OCR), "
                                + "diffusion-nft 1e-4, crd 0.1"),
                        Option.value("lora-rank", "R", "LoRA rank", "32"),
                        Option.value("lora-alpha", "A", "LoRA alpha (the scale is alpha / rank)", "64"),
                        Option.value("seed", "S", "the run's seed", "42"),
                        Option.value("eval-prompts", "N", "held-out prompts in the evaluations and before/after grids", "8"),
                        Option.value("eval-images", "N", "images per held-out prompt", "2"),
                        Option.value("eval-steps", "N", "ODE steps of the evaluation sampler", "40"),
                        Option.value("eval-every", "N", "evaluate every N epochs (and after the last)", "10"),
                        Option.value("checkpoint-every", "N", "checkpoint every N epochs (and at the end)", "5"),
                        Option.value("dtype", "TYPE", "the base transformer's precision: auto (fp16 on a GPU, fp32 on the "
                                + "CPU), fp16 or fp32", "auto"),
                        Option.value("embedder", "DIR", "a CLIPModel folder for GARDO's diversity-aware advantages (off "
                                + "without it)", null),
                        Option.value("init-lora", "PATH", "start from this LoRA: a PEFT adapter folder, or diffusers' "
                                + "pytorch_lora_weights.safetensors or its folder", null),
                        Option.value("config", "FILE", "a JSON object of these options' names to values; the command line "
                                + "wins", null),
                        Option.flag("dry-run", "print the plan (sizes, memory) and stop; writes nothing"),
                        Option.flag("resume", "continue the run in --out from its last checkpoint"),
                        OutputFolder.OVERWRITE),
                "Relative paths, on the command line or in --config, are taken from the working directory.\n"
                        + "rewards (SPECS = name[=argument][*weight],...):\n" + RewardRegistry.standard().usage());
    }

    /**
     * @param args the command line: {@code --key value} pairs, {@code --resume} and
     *     {@code --dry-run} alone, {@code --config FILE} for a JSON object of the same keys
     * @return the options, relative paths taken against the process's working directory
     * @throws UsageException naming the flag or key of a bad or missing value
     * @throws IOException when the config file cannot be read
     */
    public static Sd35Options parse(String[] args) throws IOException {
        return parse(args, Path.of("").toAbsolutePath());
    }

    /**
     * @param args the command line
     * @param cwd the directory relative paths (on the command line and in {@code --config}) resolve against
     * @return the options
     * @throws UsageException naming the flag or key of a bad or missing value
     * @throws IOException when the config file cannot be read
     */
    static Sd35Options parse(String[] args, Path cwd) throws IOException {
        return of(withConfig(COMMAND_LINE.parse(args, cwd)));
    }

    /**
     * @param parsed the command line, parsed by {@link #COMMAND_LINE}
     * @return the same with {@code --config}'s values under the command line's, when it names a file
     * @throws UsageException for a key that is no option
     * @throws IOException when the config file cannot be read
     */
    static Arguments withConfig(Arguments parsed) throws IOException {
        if (parsed.text("config") == null) {
            return parsed;
        }
        return parsed.withSettings(readConfig(parsed.path("config")), "--config " + parsed.text("config"));
    }

    /**
     * @param a the command line with its config file's values ({@link #withConfig})
     * @return the options
     * @throws UsageException naming the flag or key of a bad or missing value
     */
    static Sd35Options of(Arguments a) {
        String method = a.text("method");
        if (!METHODS.contains(method)) {
            throw a.bad("method", "unknown method; choose one of " + METHODS);
        }
        String reward = a.text("reward");
        String auxiliary = auxiliaryRewards(a, reward);
        String dtype = a.text("dtype");
        if (!List.of("auto", "fp16", "fp32").contains(dtype)) {
            throw a.bad("dtype", "must be auto, fp16 or fp32");
        }
        int resolution = a.integer("resolution", 16);
        if (resolution % 16 != 0) {
            throw a.bad("resolution", "must be a multiple of 16");
        }
        Path model = a.path("model");
        Path prompts = a.path("prompts");
        if (model == null || prompts == null) {
            throw new UsageException("--model DIR and --prompts FILE are required");
        }
        Path out = a.specified("out") ? a.path("out") : a.cwd().resolve(Path.of("runs", "sd35-" + method));
        Arguments s = a;
        int optimizerSteps = s.specified("optimizer-steps") || !method.equals("diffusion-nft")
                ? s.integer("optimizer-steps", 1)
                : DiffusionNftRecipe.forReward(reward).optimizerStepsPerEpoch();
        return Arguments.checked(() -> new Sd35Options(model, method, reward, auxiliary, prompts,
                s.path("eval-prompt-file"), out, s.integer("epochs", 1), resolution, s.integer("prompts-per-epoch", 1),
                s.integer("group-size", 2), optimizerSteps, s.integer("images-per-micro-batch", 1),
                s.integer("sampling-prompts", 1), s.specified("lr") ? s.positive("lr") : Sd35Methods.learningRate(method),
                s.integer("lora-rank", 1), s.positive("lora-alpha"),
                s.wholeNumber("seed"), s.integer("eval-prompts", 1), s.integer("eval-images", 1),
                s.integer("eval-steps", 1), s.integer("eval-every", 1), s.integer("checkpoint-every", 1),
                s.flag("resume"), dtype, s.path("embedder"), s.path("init-lora"), s.flag("dry-run"),
                s.specified("kl-beta") ? s.nonNegative("kl-beta") : null));
    }

    /**
     * The auxiliary rewards: those named, or the default unless it is the reward itself (then none,
     * which GARDO refuses by name). A named one that is also the reward is refused: it would be
     * scored twice under one name.
     */
    private static String auxiliaryRewards(Arguments a, String reward) {
        String v = a.text("auxiliary-rewards");
        if (v == null || v.isBlank() || v.equals("none")) {
            return null;
        }
        List<String> proxy;
        List<RewardSpec> specs;
        try {
            proxy = RewardSpec.parseAll(reward).stream().map(RewardSpec::name).toList();
        } catch (IllegalArgumentException e) {
            throw a.bad("reward", e.getMessage());
        }
        try {
            specs = RewardSpec.parseAll(v);
        } catch (IllegalArgumentException e) {
            throw a.bad("auxiliary-rewards", e.getMessage());
        }
        List<String> kept = new ArrayList<>();
        for (RewardSpec spec : specs) {
            if (!proxy.contains(spec.name())) {
                kept.add(spec.name() + spec.argument().map(x -> "=" + x).orElse(""));
            } else if (!v.equals(DEFAULT_AUXILIARY_REWARDS) || a.given("auxiliary-rewards")) {
                throw a.bad("auxiliary-rewards", "'" + spec.name() + "' is the reward itself; name others, or none");
            }
        }
        if (kept.isEmpty() && a.text("method").equals("gardo")) {
            throw a.bad("auxiliary-rewards", "gardo's gate needs an auxiliary reward other than the reward '" + reward
                    + "' (the paper uses Aesthetic and ImageReward, e.g. --auxiliary-rewards aesthetic=DIR)");
        }
        return kept.isEmpty() ? null : String.join(",", kept);
    }

    private static Map<String, String> readConfig(Path file) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read --config " + file + ": " + CommandLine.describe(e), e);
        }
        if (n == null || !n.isObject()) {
            throw new UsageException("--config " + file + " must hold a JSON object of option names to values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (e.getKey().equals("config")) {
                throw new UsageException("--config " + file + ": a config file cannot name another one");
            }
            out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
        }
        return out;
    }

    /** @return the settings as the JSON object {@code --config} reads (written to the run's config.json) */
    public ObjectNode toJson() {
        ObjectNode n = new ObjectMapper().createObjectNode();
        n.put("model", model.toString());
        n.put("method", method);
        n.put("reward", reward);
        n.put("auxiliary-rewards", auxiliaryRewards);
        n.put("prompts", prompts.toString());
        n.put("eval-prompt-file", evalPromptFile == null ? null : evalPromptFile.toString());
        n.put("out", out.toString());
        n.put("epochs", epochs);
        n.put("resolution", resolution);
        n.put("prompts-per-epoch", promptsPerEpoch);
        n.put("group-size", groupSize);
        n.put("optimizer-steps", optimizerSteps);
        n.put("images-per-micro-batch", imagesPerMicroBatch);
        n.put("sampling-prompts", samplingPrompts);
        n.put("lr", learningRate);
        n.put("lora-rank", loraRank);
        n.put("lora-alpha", loraAlpha);
        n.put("seed", seed);
        n.put("eval-prompts", evalPrompts);
        n.put("eval-images", evalImages);
        n.put("eval-steps", evalSteps);
        n.put("eval-every", evalEvery);
        n.put("checkpoint-every", checkpointEvery);
        n.put("resume", resume);
        n.put("dtype", dtype);
        n.put("embedder", embedder == null ? null : embedder.toString());
        n.put("init-lora", initLora == null ? null : initLora.toString());
        n.put("dry-run", dryRun);
        if (klBeta != null) {
            n.put("kl-beta", klBeta); // only when given, so the configs of earlier runs read the same
        }
        return n;
    }

    /** @return the usage text: every option with its description and default */
    public static String usage() {
        return COMMAND_LINE.usage();
    }

    private static void positive(String flag, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("--" + flag + " must be >= 1, got " + v);
        }
    }
}
