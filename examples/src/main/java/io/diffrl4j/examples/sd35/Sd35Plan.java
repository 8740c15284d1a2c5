package io.diffrl4j.examples.sd35;

import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.models.mmdit.MmditConfig;
import io.diffrl4j.models.sd3.PromptLayout;
import io.diffrl4j.models.sd3.StableDiffusion3Folder;
import io.diffrl4j.models.sd3.WeightSummary;
import io.diffrl4j.models.text.tokenizer.T5Tokenizer;
import io.diffrl4j.core.weights.TensorInfo;
import io.diffrl4j.core.weights.WeightSource;
import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * What a run will do and need, from the folder's configs and checkpoint headers (nothing is
 * loaded): components and their memory, prompt-embedding cache, images and optimizer steps per
 * epoch, LoRA and optimizer state, and an estimate of peak accelerator memory.
 *
 * <p>The activation estimate is Korthikanti et al.'s count for a transformer layer kept for
 * backward, {@code s h (34 + 5 a s / h)} bytes at half precision (s tokens, h width, a heads),
 * times the layers and the images of a micro-batch; with a fused attention kernel the
 * {@code 5 a s / h} term (the attention matrix) is not stored. It is an estimate, stated as one.
 *
 * @param lines the plan, one line each
 * @param peakBytes the estimated peak accelerator memory
 * @param lora LoRA parameters trained
 * @param cacheAllPrompts whether every prompt embedding fits the cache (the encoders are then released)
 * @param cacheCapacity prompt embeddings the cache holds ({@link #PROMPT_CACHE_BYTES} worth)
 */
public record Sd35Plan(List<String> lines, long peakBytes, long lora, boolean cacheAllPrompts, int cacheCapacity) {
    /** Host memory allowed for cached prompt embeddings before the cache becomes least-recently-used. */
    public static final long PROMPT_CACHE_BYTES = 16L << 30;
    private static final double GIB = 1L << 30;

    /**
     * @param o the options
     * @param folder the opened pipeline folder
     * @param prompts training prompts in the file
     * @param evalPrompts held-out prompts evaluated
     * @param half whether the transformer runs in FLOAT16
     * @param device the device it runs on, in words
     * @param snapshots adapter sets the method keeps besides the policy (reference, old, sampler...)
     * @return the plan
     * @throws IOException when a checkpoint header cannot be read
     */
    public static Sd35Plan of(Sd35Options o, StableDiffusion3Folder folder, int prompts, int evalPrompts, boolean half,
            String device, int snapshots) throws IOException {
        List<String> lines = new ArrayList<>();
        int bytes = half ? 2 : 4;
        lines.add(String.format(Locale.ROOT, "model %s on %s, transformer in %s, LoRA rank %d alpha %.4g",
                folder.folder(), device, half ? "fp16" : "fp32", o.loraRank(), o.loraAlpha()));
        long transformer = 0;
        long vae = 0;
        long encoders = 0;
        for (String c : folder.weightedComponents()) {
            WeightSummary w = folder.weightSummary(c);
            int loadedAs = c.equals("text_encoder_3") ? 4 : bytes;
            long loaded = w.loadedBytes(loadedAs);
            lines.add(String.format(Locale.ROOT, "  %-15s %,15d parameters  %6.2f GiB on disk %s  %6.2f GiB loaded as %s",
                    c, w.parameters(), w.storedBytes() / GIB, w.storedDtypes(), loaded / GIB, loadedAs == 2 ? "fp16" : "fp32"));
            switch (c) {
                case "transformer" -> transformer = loaded;
                case "vae" -> vae = loaded;
                default -> encoders += loaded;
            }
        }
        PromptLayout layout = folder.promptLayout(T5Tokenizer.DEFAULT_MAX_LENGTH);
        long perPrompt = (long) layout.sequenceLength() * layout.width() * bytes + (long) layout.pooledWidth() * bytes;
        long allPrompts = perPrompt * (prompts + evalPrompts + 1L);
        boolean cacheAll = allPrompts <= PROMPT_CACHE_BYTES;
        lines.add(String.format(Locale.ROOT, "prompts: %d training, %d evaluation; embeddings %d x %d + pooled %d, %.2f MiB each; "
                + "%s", prompts, evalPrompts, layout.sequenceLength(), layout.width(), layout.pooledWidth(), perPrompt / (double) (1 << 20),
                cacheAll ? String.format(Locale.ROOT, "all cached in host memory (%.2f GiB), then the text encoders are released",
                        allPrompts / GIB)
                        : String.format(Locale.ROOT, "%.1f GiB would not fit the %.0f GiB cache: least-recently-used cache, the "
                                + "text encoders stay loaded", allPrompts / GIB, PROMPT_CACHE_BYTES / GIB)));
        long lora = loraParameters(folder, LoraConfig.builder().optRank(o.loraRank()).optAlpha(o.loraAlpha()).build());
        int images = o.promptsPerEpoch() * o.groupSize();
        MmditConfig t = folder.transformerConfig();
        int latent = o.resolution() / folder.vaeConfig().downscaleFactor();
        int tokens = (latent / t.patchSize()) * (latent / t.patchSize());
        lines.add(String.format(Locale.ROOT, "per epoch: %d prompts x %d images = %d images at %d px (%d image tokens + %d text), "
                + "%d optimizer steps, micro-batches of %d images", o.promptsPerEpoch(), o.groupSize(), images, o.resolution(),
                tokens, layout.sequenceLength(), o.optimizerSteps(), o.imagesPerMicroBatch()));
        lines.add(String.format(Locale.ROOT, "training: %d epochs = %d images, %d optimizer steps", o.epochs(),
                (long) images * o.epochs(), (long) o.optimizerSteps() * o.epochs()));
        long adapterState = lora * 4 * (1 + snapshots + 1 + 2); // sets, gradients, AdamW m and v, fp32
        lines.add(String.format(Locale.ROOT, "LoRA: %,d parameters per set, %d sets; with gradients and AdamW state %.1f MiB (fp32)",
                lora, 1 + snapshots, adapterState / (double) (1 << 20)));
        long s = tokens + layout.sequenceLength();
        long h = t.innerDim();
        long perLayerImage = s * h * 34L * bytes / 2;
        long activations = perLayerImage * t.numLayers() * o.imagesPerMicroBatch();
        long training = transformer + vae + adapterState + activations;
        long encoding = encoders + (cacheAll ? 0 : transformer + vae + adapterState + activations);
        long peak = Math.max(training, encoding);
        lines.add(String.format(Locale.ROOT, "estimated peak accelerator memory %.1f GiB: transformer %.1f + VAE %.2f + LoRA state "
                + "%.2f + activations %.1f (%d layers x %d images x %.0f MiB, fused attention)%s", peak / GIB, transformer / GIB,
                vae / GIB, adapterState / GIB, activations / GIB, t.numLayers(), o.imagesPerMicroBatch(),
                perLayerImage / (double) (1 << 20),
                cacheAll ? String.format(Locale.ROOT, "; text encoders %.1f GiB only while encoding, before the transformer loads",
                        encoders / GIB) : String.format(Locale.ROOT, " + text encoders %.1f", encoders / GIB)));
        int capacity = (int) Math.max(1, Math.min(Integer.MAX_VALUE, PROMPT_CACHE_BYTES / perPrompt));
        return new Sd35Plan(List.copyOf(lines), peak, lora, cacheAll, capacity);
    }

    /** r (in + out) for every 2-D weight of a LoRA target module, from the checkpoint header. */
    static long loraParameters(StableDiffusion3Folder folder, LoraConfig lora) throws IOException {
        long total = 0;
        try (WeightSource w = folder.weights("transformer")) {
            for (String name : w.names()) {
                if (!name.endsWith(".weight")) {
                    continue;
                }
                String module = name.substring(0, name.length() - ".weight".length());
                TensorInfo info = w.info(name);
                if (info.shape().dimension() == 2 && lora.targets(module)) {
                    total += (long) lora.rank() * (info.shape().get(0) + info.shape().get(1));
                }
            }
        }
        return total;
    }
}
