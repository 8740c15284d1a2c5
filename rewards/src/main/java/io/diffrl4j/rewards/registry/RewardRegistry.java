package io.diffrl4j.rewards.registry;

import io.diffrl4j.core.reward.CompositeReward;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.rewards.clip.AestheticReward;
import io.diffrl4j.rewards.clip.ClipScoreReward;
import io.diffrl4j.rewards.clip.PickScoreReward;
import io.diffrl4j.rewards.geneval.GenEvalClient;
import io.diffrl4j.rewards.image.JpegCompressibilityReward;
import io.diffrl4j.rewards.mix.WeightedRewardSum;
import io.diffrl4j.rewards.ocr.OcrReward;
import io.diffrl4j.rewards.ocr.TesseractEngine;
import io.diffrl4j.rewards.vlm.VlmJudgeConfig;
import io.diffrl4j.rewards.vlm.VlmJudgeReward;
import java.io.Closeable;
import java.io.IOException;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Reward names for command lines ({@code --reward ocr,jpeg*0.2}). {@link #standard()} knows the
 * rewards of this module:
 * <ul>
 *   <li>{@code ocr[=tessdata folder]}: {@link OcrReward} with Tesseract;</li>
 *   <li>{@code geneval=http://host:port}: {@link GenEvalClient}, GenEval's reward-server protocol;</li>
 *   <li>{@code vlm=http://host:port/v1}: {@link VlmJudgeReward} with UnifiedReward's defaults;</li>
 *   <li>{@code jpeg}: {@link JpegCompressibilityReward}, which needs no weights at all;</li>
 *   <li>{@code clipscore=CLIP folder}: {@link ClipScoreReward}, a transformers CLIPModel folder;</li>
 *   <li>{@code pickscore=CLIP folder}: {@link PickScoreReward}, the PickScore_v1 CLIPModel folder;</li>
 *   <li>{@code aesthetic=folder}: {@link AestheticReward}, a folder holding {@code clip/} (CLIP
 *       ViT-L/14) and {@code aesthetic_mlp.safetensors}.</li>
 * </ul>
 * Applications add theirs with {@link #with} (the Shapes examples add {@code shapes}). Several
 * specs make a {@link WeightedRewardSum}. Immutable.
 */
public final class RewardRegistry {
    /** Whether a reward takes an argument after '='. */
    public enum Argument {
        /** Never: {@code name=number} is a weight. */
        NONE,
        /** May: a number is still a weight, other text the argument. */
        OPTIONAL,
        /** Must (a URL, a folder). */
        REQUIRED
    }

    /** Makes one reward from its argument (null when none was given). */
    @FunctionalInterface
    public interface Factory {
        /**
         * @param argument the text after '=', or null
         * @return the reward
         * @throws Exception when it cannot be made (missing model, bad URL)
         */
        RewardFunction create(String argument) throws Exception;
    }

    private record Entry(Argument argument, String help, Factory factory) {}

    private final Map<String, Entry> entries;

    private RewardRegistry(Map<String, Entry> entries) {
        this.entries = entries;
    }

    /** @return a registry with no names */
    public static RewardRegistry empty() {
        return new RewardRegistry(Map.of());
    }

    /** @return the rewards of this module by name (see the class comment) */
    public static RewardRegistry standard() {
        return empty()
                .with("ocr", Argument.OPTIONAL, "ocr[=TESSDATA_DIR]  OCR of the quoted text with Tesseract",
                        a -> new OcrReward(a == null ? TesseractEngine.builder().build()
                                : TesseractEngine.builder().optTessdata(Path.of(a)).build()))
                .with("geneval", Argument.REQUIRED, "geneval=URL  GenEval reward server (partial score)",
                        a -> new GenEvalClient(GenEvalClient.Config.builder(URI.create(a)).build()))
                .with("vlm", Argument.REQUIRED, "vlm=URL  VLM judge over an OpenAI-compatible API (UnifiedReward's rule)",
                        a -> new VlmJudgeReward(VlmJudgeConfig.builder(URI.create(a)).build()))
                .with("jpeg", Argument.NONE, "jpeg  JPEG compressibility (DDPO), needs no weights",
                        a -> new JpegCompressibilityReward())
                .with(ClipScoreReward.NAME, Argument.REQUIRED,
                        "clipscore=CLIP_DIR  cosine of CLIP image and prompt embeddings (a CLIPModel folder)",
                        a -> ClipScoreReward.open(Path.of(a)))
                .with(PickScoreReward.NAME, Argument.REQUIRED,
                        "pickscore=PICKSCORE_DIR  PickScore_v1 (a CLIPModel folder): exp(logit_scale) cos / 26",
                        a -> PickScoreReward.open(Path.of(a)))
                .with(AestheticReward.NAME, Argument.REQUIRED,
                        "aesthetic=DIR  LAION aesthetic predictor: DIR/clip/ (ViT-L/14), DIR/aesthetic_mlp.safetensors",
                        a -> AestheticReward.open(Path.of(a)));
    }

    /**
     * @param name the name, lower case
     * @param argument whether it takes an argument
     * @param help one line for usage messages, starting with the spec's form
     * @param factory makes the reward
     * @return a registry with this name added (or replaced)
     */
    public RewardRegistry with(String name, Argument argument, String help, Factory factory) {
        new RewardSpec(name, Optional.empty(), 1); // validates the name
        Map<String, Entry> copy = new LinkedHashMap<>(entries);
        copy.put(name, new Entry(argument, help, factory));
        return new RewardRegistry(java.util.Collections.unmodifiableMap(copy));
    }

    /** @return the known names, in registration order */
    public List<String> names() {
        return List.copyOf(entries.keySet());
    }

    /** @return one help line per name */
    public String usage() {
        StringBuilder b = new StringBuilder();
        entries.values().forEach(e -> b.append("  ").append(e.help()).append('\n'));
        return b.toString();
    }

    /**
     * @param specs comma-separated specs, see {@link RewardSpec}
     * @return the reward: the one named, or the weighted sum of several (or of one with a weight
     *     other than 1)
     * @throws IllegalArgumentException for an unknown name, a missing or unexpected argument,
     *     naming the spec
     * @throws IOException when a reward cannot be made (a factory's checked exception is wrapped,
     *     naming the spec); rewards already made for the other specs are closed
     */
    public RewardFunction create(String specs) throws IOException {
        List<RewardSpec> parsed = RewardSpec.parseAll(specs);
        List<RewardFunction> rewards = new ArrayList<>();
        List<Double> weights = new ArrayList<>();
        for (RewardSpec s : parsed) {
            Entry e = entries.get(s.name());
            if (e == null) {
                throw new IllegalArgumentException("unknown reward '" + s.name() + "'; known: " + String.join(", ", names()));
            }
            double weight = s.weight();
            String argument = s.argument().orElse(null);
            Optional<Double> numeric = s.argumentAsWeight();
            if (e.argument() != Argument.REQUIRED && numeric.isPresent()) {
                weight *= numeric.get();
                argument = null;
            } else if (e.argument() == Argument.NONE && argument != null) {
                throw new IllegalArgumentException("reward '" + s.name() + "' takes no argument, got '" + argument + "'");
            }
            if (e.argument() == Argument.REQUIRED && argument == null) {
                throw new IllegalArgumentException("reward '" + s.name() + "' needs an argument: " + e.help());
            }
            rewards.add(make(e, s.name(), argument, rewards));
            weights.add(weight);
        }
        if (rewards.size() == 1 && weights.get(0) == 1.0) {
            return rewards.get(0);
        }
        WeightedRewardSum.Builder sum = WeightedRewardSum.builder();
        for (int i = 0; i < rewards.size(); i++) {
            sum.add(rewards.get(i), weights.get(i));
        }
        return sum.build();
    }

    private static RewardFunction make(Entry e, String name, String argument, List<RewardFunction> made)
            throws IOException {
        try {
            return e.factory().create(argument);
        } catch (IOException | RuntimeException ex) {
            closeAll(made, ex);
            throw ex;
        } catch (Exception ex) {
            closeAll(made, ex);
            throw new IOException("cannot make the reward '" + name + (argument == null ? "" : "=" + argument) + "': "
                    + ex.getMessage(), ex);
        }
    }

    private static void closeAll(List<RewardFunction> made, Exception cause) {
        for (RewardFunction r : made) {
            try {
                close(r);
            } catch (IOException closing) {
                cause.addSuppressed(closing);
            }
        }
    }

    /**
     * Frees what a reward made by {@link #create} holds (native engines, model weights): the reward
     * itself when it is {@link Closeable}, and each part of a weighted sum, whose parts the sum does
     * not close. Rewards holding nothing are left alone.
     *
     * @param reward a reward this registry made; the caller owns it and must not use it afterwards
     * @throws IOException the first failure to close, with later ones suppressed; every part is
     *     still attempted
     */
    public static void close(RewardFunction reward) throws IOException {
        IOException first = null;
        if (reward instanceof CompositeReward c) {
            for (RewardFunction part : c.parts()) {
                try {
                    close(part);
                } catch (IOException e) {
                    first = keepFirst(first, e);
                }
            }
        }
        if (reward instanceof Closeable c) {
            try {
                c.close();
            } catch (IOException e) {
                first = keepFirst(first, e);
            }
        }
        if (first != null) {
            throw first;
        }
    }

    private static IOException keepFirst(IOException first, IOException next) {
        if (first == null) {
            return next;
        }
        first.addSuppressed(next);
        return first;
    }
}
