package io.diffrl4j.examples.sd35;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.rewards.registry.RewardRegistry;
import io.diffrl4j.rewards.registry.RewardSpec;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Everything {@code sd35-finetune} is told, validated. Defaults are the SD3.5-Medium ones of
 * ALGORITHMS.md sections 7.7 and 9: 512 px, 48 prompts x 24 images per epoch, 2 optimizer steps,
 * AdamW 3e-4, LoRA rank 32 / alpha 64, 40-step ODE evaluation. Each can be overridden by a flag
 * or by the same key in a JSON file given with {@code --config} (flags win over the file).
 *
 * @param model the diffusers pipeline folder
 * @param method gardo, crd, flow-grpo, flow-grpo-kl or diffusion-nft
 * @param reward reward specs for {@link RewardRegistry#standard()}, e.g. {@code ocr} or
 *     {@code pickscore=DIR*0.5,jpeg*0.5}
 * @param auxiliaryRewards rewards scored beside it for GARDO's gate and the metrics (each spec a
 *     separate reward), or null; GARDO needs at least one (the paper uses Aesthetic and ImageReward)
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
 */
public record Sd35Options(Path model, String method, String reward, String auxiliaryRewards, Path prompts, Path evalPromptFile, Path out, int epochs,
        int resolution, int promptsPerEpoch, int groupSize, int optimizerSteps, int imagesPerMicroBatch,
        int samplingPrompts, double learningRate, int loraRank, double loraAlpha, long seed, int evalPrompts, int evalImages,
        int evalSteps, int evalEvery, int checkpointEvery, boolean resume, String dtype, Path embedder, Path initLora, boolean dryRun) {

    /** The methods by the names users type. */
    public static final List<String> METHODS = List.of("gardo", "crd", "flow-grpo", "flow-grpo-kl", "diffusion-nft");

    /** Every setting with its default ({@code null}: required or absent), in usage order. */
    static final Map<String, String> DEFAULTS = defaults();

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
            throw new IllegalArgumentException("gardo's gate needs --auxiliary-rewards SPECS to compare the reward with "
                    + "(the paper uses Aesthetic and ImageReward, e.g. --auxiliary-rewards aesthetic=DIR)");
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
        if (!List.of("auto", "fp16", "fp32").contains(dtype)) {
            throw new IllegalArgumentException("--dtype is auto, fp16 or fp32, not " + dtype);
        }
    }

    private static Map<String, String> defaults() {
        Map<String, String> d = new LinkedHashMap<>();
        d.put("model", null);
        d.put("method", "gardo");
        d.put("reward", "jpeg");
        d.put("auxiliary-rewards", null);
        d.put("prompts", null);
        d.put("eval-prompt-file", null);
        d.put("out", null); // runs/sd35-<method>
        d.put("epochs", "100");
        d.put("resolution", "512");
        d.put("prompts-per-epoch", "48");
        d.put("group-size", "24");
        d.put("optimizer-steps", "2");
        d.put("images-per-micro-batch", "8");
        d.put("sampling-prompts", "1");
        d.put("lr", "3e-4");
        d.put("lora-rank", "32");
        d.put("lora-alpha", "64");
        d.put("seed", "42");
        d.put("eval-prompts", "8");
        d.put("eval-images", "2");
        d.put("eval-steps", "40");
        d.put("eval-every", "10");
        d.put("checkpoint-every", "5");
        d.put("resume", "false");
        d.put("dtype", "auto");
        d.put("embedder", null);
        d.put("init-lora", null);
        d.put("dry-run", "false");
        return d;
    }

    /**
     * @param args the command line: {@code --key value} pairs, {@code --resume} and
     *     {@code --dry-run} alone, {@code --config FILE} for a JSON object of the same keys
     * @return the options
     * @throws IllegalArgumentException naming the flag or key of a bad or missing value
     * @throws IOException when the config file cannot be read
     */
    public static Sd35Options parse(String[] args) throws IOException {
        Map<String, String> flags = new LinkedHashMap<>();
        Path config = null;
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                throw new IllegalArgumentException("unexpected argument '" + a + "' (options are --name value)");
            }
            String key = a.substring(2);
            if (key.equals("resume") || key.equals("dry-run")) {
                flags.put(key, "true");
                continue;
            }
            if (!key.equals("config") && !DEFAULTS.containsKey(key)) {
                throw new IllegalArgumentException("unknown option " + a);
            }
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException("missing value for " + a);
            }
            if (key.equals("config")) {
                config = Path.of(args[++i]);
            } else {
                flags.put(key, args[++i]);
            }
        }
        Map<String, String> s = new LinkedHashMap<>(DEFAULTS);
        if (config != null) {
            s.putAll(readConfig(config));
        }
        s.putAll(flags);
        if (s.get("out") == null && s.get("method") != null) {
            s.put("out", Path.of("runs", "sd35-" + s.get("method")).toString());
        }
        return fromSettings(s);
    }

    private static Map<String, String> readConfig(Path file) throws IOException {
        JsonNode n;
        try {
            n = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read --config " + file + ": " + e.getMessage(), e);
        }
        if (n == null || !n.isObject()) {
            throw new IllegalArgumentException("--config " + file + " must hold a JSON object of option names to values");
        }
        Map<String, String> out = new LinkedHashMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = n.fields(); it.hasNext();) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!DEFAULTS.containsKey(e.getKey())) {
                throw new IllegalArgumentException("--config " + file + ": unknown key \"" + e.getKey() + "\"; keys are "
                        + DEFAULTS.keySet());
            }
            out.put(e.getKey(), e.getValue().isNull() ? null : e.getValue().asText());
        }
        return out;
    }

    private static Sd35Options fromSettings(Map<String, String> s) {
        return new Sd35Options(path(s, "model"), s.get("method"), s.get("reward"), blankToNull(s.get("auxiliary-rewards")),
                path(s, "prompts"),
                path(s, "eval-prompt-file"), path(s, "out"), integer(s, "epochs"), integer(s, "resolution"),
                integer(s, "prompts-per-epoch"), integer(s, "group-size"), integer(s, "optimizer-steps"),
                integer(s, "images-per-micro-batch"), integer(s, "sampling-prompts"), number(s, "lr"),
                integer(s, "lora-rank"), number(s, "lora-alpha"), longValue(s, "seed"), integer(s, "eval-prompts"),
                integer(s, "eval-images"), integer(s, "eval-steps"), integer(s, "eval-every"),
                integer(s, "checkpoint-every"), bool(s, "resume"), s.get("dtype"), path(s, "embedder"), path(s, "init-lora"), bool(s, "dry-run"));
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
        return n;
    }

    /** @return the usage text: every option with its default */
    public static String usage() {
        List<String> lines = new ArrayList<>();
        lines.add("usage: sd35-finetune --model DIR --prompts FILE [--method " + String.join("|", METHODS)
                + "] [--reward SPECS] [--out DIR] [--config FILE.json] [--dry-run] [--resume] [--option value ...]");
        lines.add("options (defaults: SD3.5-Medium, ALGORITHMS.md sections 7.7 and 9):");
        DEFAULTS.forEach((k, v) -> lines.add(String.format(Locale.ROOT, "  --%-24s %s", k,
                k.equals("out") ? "runs/sd35-<method>" : v == null ? "" : v)));
        lines.add("rewards (SPECS = name[=argument][*weight],...):");
        return String.join(System.lineSeparator(), lines) + System.lineSeparator() + RewardRegistry.standard().usage();
    }

    private static void positive(String flag, int v) {
        if (v < 1) {
            throw new IllegalArgumentException("--" + flag + " must be >= 1, got " + v);
        }
    }

    private static String blankToNull(String v) {
        return v == null || v.isBlank() ? null : v;
    }

    private static Path path(Map<String, String> s, String key) {
        String v = s.get(key);
        return v == null || v.isEmpty() ? null : Path.of(v);
    }

    private static int integer(Map<String, String> s, String key) {
        double v = number(s, key);
        if (v != Math.rint(v) || Math.abs(v) > Integer.MAX_VALUE) {
            throw new IllegalArgumentException("--" + key + " must be an integer, got " + s.get(key));
        }
        return (int) v;
    }

    private static long longValue(Map<String, String> s, String key) {
        try {
            return Long.parseLong(s.get(key));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--" + key + " must be an integer, got " + s.get(key));
        }
    }

    private static double number(Map<String, String> s, String key) {
        String v = s.get(key);
        try {
            return Double.parseDouble(v);
        } catch (NumberFormatException | NullPointerException e) {
            throw new IllegalArgumentException("--" + key + " must be a number, got " + v);
        }
    }

    private static boolean bool(Map<String, String> s, String key) {
        String v = s.get(key);
        if (!"true".equals(v) && !"false".equals(v)) {
            throw new IllegalArgumentException("--" + key + " must be true or false, got " + v);
        }
        return Boolean.parseBoolean(v);
    }
}
