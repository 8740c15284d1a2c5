package io.diffrl4j.models.sd3;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDArrays;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.core.model.TextEncoder;
import io.diffrl4j.models.text.ClipTextModel;
import io.diffrl4j.models.text.ClipTextOutput;
import io.diffrl4j.models.text.T5EncoderModel;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;
import io.diffrl4j.models.text.tokenizer.T5Tokenizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * SD3's prompt encoding, exactly as diffusers' {@code StableDiffusion3Pipeline.encode_prompt}:
 * CLIP-L and CLIP-G run on 77 tokens each (their own pad tokens, no attention mask), their
 * penultimate hidden states are concatenated and zero-padded to T5's width, T5 runs on
 * {@code max_sequence_length} tokens (no attention mask), and the two are stacked along the
 * sequence: (B, 333, 4096) for SD3.5-Medium. The pooled vector is CLIP-L's projected
 * {@code text_embeds} followed by CLIP-G's: (B, 2048). The unconditional conditioning is the
 * empty prompt encoded the same way.
 *
 * <p>Every prompt is encoded once and cached (in host memory, at {@link Builder#optCacheDtype}),
 * so a run over a fixed prompt set stops encoding after its first epoch; {@link #releaseEncoders()}
 * then frees the three encoders (about 10 GB for SD3.5) while the cache stays. A prompt not in
 * the cache loads them again. {@link #encodedPrompts()} counts prompts run through the encoders.
 * The encoders live on the device of the manager given to {@link Builder#build}; CLIP runs at
 * {@link Builder#optClipDtype}, T5 always in FLOAT32.
 *
 * <p>Returned conditionings are new arrays owned by the caller's manager, on its device. Training
 * thread only.
 */
public final class Sd3PromptEncoder implements TextEncoder, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Sd3PromptEncoder.class);

    private final StableDiffusion3Folder folder;
    private final PromptLayout layout;
    private final DataType clipDtype;
    private final DataType cacheDtype;
    private final int encodeBatch;
    private final int maxCachedPrompts;
    private final NDManager encoderParent;
    private final NDManager cache;
    /** Access order: the eldest entry is the least recently used. */
    private final LinkedHashMap<String, NDArray[]> entries = new LinkedHashMap<>(16, 0.75f, true);
    private Encoders encoders;
    private long encodedPrompts;
    private int loads;

    private Sd3PromptEncoder(Builder b, NDManager parent) {
        this.folder = b.folder;
        this.layout = folder.promptLayout(b.maxSequenceLength);
        this.clipDtype = b.clipDtype;
        this.cacheDtype = b.cacheDtype;
        this.encodeBatch = b.encodeBatch;
        this.maxCachedPrompts = b.maxCachedPrompts;
        this.encoderParent = parent;
        this.cache = NDManager.newBaseManager(Device.cpu());
    }

    /**
     * @param folder the pipeline whose encoders and tokenizers are used
     * @return a builder with diffusers' defaults (256 T5 tokens)
     */
    public static Builder builder(StableDiffusion3Folder folder) {
        return new Builder(folder);
    }

    /** @return the embedding layout (333 x 4096 and 2048 for SD3.5-Medium) */
    public PromptLayout layout() {
        return layout;
    }

    /** @return prompts run through the encoders so far (cache hits do not count) */
    public long encodedPrompts() {
        return encodedPrompts;
    }

    /** @return how many times the encoders were loaded */
    public int encoderLoads() {
        return loads;
    }

    /** @return prompts held in the cache */
    public int cachedPrompts() {
        return entries.size();
    }

    /** @return whether the three encoders are in memory */
    public boolean encodersLoaded() {
        return encoders != null;
    }

    /**
     * @param prompts the prompt texts
     * @param manager owner of the returned arrays (and their device)
     * @return sequence (B, {@link PromptLayout#sequenceLength()}, {@link PromptLayout#width()}) and
     *     pooled (B, {@link PromptLayout#pooledWidth()}), at the cache dtype
     * @throws UncheckedIOException when the encoders must be loaded and cannot be
     */
    @Override
    public Conditioning encode(List<String> prompts, NDManager manager) {
        if (prompts.isEmpty()) {
            throw new IllegalArgumentException("no prompts to encode");
        }
        List<String> missing = new ArrayList<>(new LinkedHashSet<>(prompts));
        missing.removeIf(entries::containsKey);
        for (int from = 0; from < missing.size(); from += encodeBatch) {
            encodeIntoCache(missing.subList(from, Math.min(missing.size(), from + encodeBatch)));
        }
        NDList sequences = new NDList();
        NDList pooled = new NDList();
        for (String p : prompts) {
            NDArray[] e = entries.get(p);
            sequences.add(e[0]);
            pooled.add(e[1]);
        }
        Conditioning out = Conditioning.of(stackTo(sequences, manager), stackTo(pooled, manager));
        evict();
        return out;
    }

    /** @return the empty prompt's conditioning, repeated {@code batch} times */
    @Override
    public Conditioning unconditional(int batch, NDManager manager) {
        return encode(Collections.nCopies(batch, ""), manager);
    }

    /**
     * Frees the three encoders and their tokenizers; the cache stays. A later prompt that is not
     * cached loads them again.
     */
    public void releaseEncoders() {
        if (encoders != null) {
            encoders.close();
            encoders = null;
            LOG.info("released the text encoders; {} prompt embeddings stay cached", entries.size());
        }
    }

    /** Drops every cached embedding. */
    public void clearCache() {
        entries.values().forEach(e -> {
            e[0].close();
            e[1].close();
        });
        entries.clear();
    }

    @Override
    public void close() {
        releaseEncoders();
        clearCache();
        cache.close();
    }

    private void encodeIntoCache(List<String> prompts) {
        Encoders enc = encoders();
        int b = prompts.size();
        try (NDManager s = encoderParent.newSubManager()) {
            ClipTextOutput l = enc.clipL.encode(ids(s, enc.tokL.encode(prompts)), s);
            ClipTextOutput g = enc.clipG.encode(ids(s, enc.tokG.encode(prompts)), s);
            NDList clipParts = new NDList(l.penultimate(), g.penultimate());
            int padding = layout.width() - layout.clipLWidth() - layout.clipGWidth();
            if (padding > 0) {
                clipParts.add(s.zeros(new Shape(b, layout.clipTokens(), padding), DataType.FLOAT32));
            }
            NDArray clip = NDArrays.concat(clipParts, 2);
            NDArray t5 = enc.t5 != null
                    ? enc.t5.encode(ids(s, enc.tokT5.encode(prompts)), s)
                    : s.zeros(new Shape(b, layout.t5Tokens(), layout.width()), DataType.FLOAT32);
            NDArray sequence = NDArrays.concat(new NDList(clip, t5), 1).toDevice(Device.cpu(), false).toType(cacheDtype, false);
            NDArray pooled = NDArrays.concat(new NDList(l.textEmbeds(), g.textEmbeds()), 1).toDevice(Device.cpu(), false)
                    .toType(cacheDtype, false);
            for (int i = 0; i < b; i++) {
                NDArray seqRow = sequence.get(i).duplicate();
                NDArray pooledRow = pooled.get(i).duplicate();
                seqRow.attach(cache);
                pooledRow.attach(cache);
                entries.put(prompts.get(i), new NDArray[] {seqRow, pooledRow});
            }
        }
        encodedPrompts += b;
    }

    private static NDArray ids(NDManager s, long[][] rows) {
        int t = rows[0].length;
        long[] flat = new long[rows.length * t];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * t, t);
        }
        return s.create(flat, new Shape(rows.length, t)).duplicate();
    }

    /** Stacks cached rows into a new array owned by {@code manager}, on its device. */
    private static NDArray stackTo(NDList rows, NDManager manager) {
        NDArray stacked = NDArrays.stack(rows, 0);
        if (stacked.getDevice().equals(manager.getDevice())) {
            stacked.attach(manager);
            return stacked;
        }
        NDArray moved = stacked.toDevice(manager.getDevice(), true);
        moved.attach(manager);
        stacked.close();
        return moved;
    }

    private void evict() {
        Iterator<Map.Entry<String, NDArray[]>> it = entries.entrySet().iterator();
        while (entries.size() > maxCachedPrompts && it.hasNext()) {
            NDArray[] e = it.next().getValue();
            e[0].close();
            e[1].close();
            it.remove();
        }
    }

    private Encoders encoders() {
        if (encoders == null) {
            try {
                encoders = new Encoders(folder, encoderParent, clipDtype, layout.t5Tokens());
            } catch (IOException e) {
                throw new UncheckedIOException("cannot load the text encoders of " + folder.folder() + ": " + e.getMessage(), e);
            }
            loads++;
        }
        return encoders;
    }

    /** The three encoders and their tokenizers, loaded and released together. */
    private static final class Encoders implements AutoCloseable {
        private final List<AutoCloseable> opened = new ArrayList<>();
        private final ClipTokenizer tokL;
        private final ClipTokenizer tokG;
        private final T5Tokenizer tokT5;
        private final ClipTextModel clipL;
        private final ClipTextModel clipG;
        private final T5EncoderModel t5;

        Encoders(StableDiffusion3Folder f, NDManager parent, DataType clipDtype, int t5Tokens) throws IOException {
            try {
                tokL = keep(f.loadClipTokenizer("tokenizer"));
                tokG = keep(f.loadClipTokenizer("tokenizer_2"));
                clipL = keep(f.loadClip("text_encoder", parent, clipDtype));
                clipG = keep(f.loadClip("text_encoder_2", parent, clipDtype));
                boolean hasT5 = f.t5Config().isPresent();
                tokT5 = hasT5 ? keep(f.loadT5Tokenizer(t5Tokens)) : null;
                t5 = hasT5 ? keep(f.loadT5(parent)) : null;
            } catch (IOException | RuntimeException e) {
                close();
                throw e;
            }
        }

        private <T extends AutoCloseable> T keep(T t) {
            opened.add(t);
            return t;
        }

        @Override
        public void close() {
            for (AutoCloseable c : opened) {
                try {
                    c.close();
                } catch (Exception e) {
                    LOG.warn("closing a text encoder failed: {}", e.toString());
                }
            }
            opened.clear();
        }
    }

    /** Options of the prompt encoder. */
    public static final class Builder {
        private final StableDiffusion3Folder folder;
        private int maxSequenceLength = T5Tokenizer.DEFAULT_MAX_LENGTH;
        private DataType clipDtype = DataType.FLOAT32;
        private DataType cacheDtype = DataType.FLOAT32;
        private int encodeBatch = 8;
        private int maxCachedPrompts = Integer.MAX_VALUE;

        private Builder(StableDiffusion3Folder folder) {
            if (folder == null) {
                throw new IllegalArgumentException("the prompt encoder needs a pipeline folder");
            }
            this.folder = folder;
        }

        /** @param tokens T5 tokens per prompt (default 256, diffusers' max_sequence_length) @return this */
        public Builder optMaxSequenceLength(int tokens) {
            this.maxSequenceLength = tokens;
            return this;
        }

        /** @param dtype CLIP's precision: FLOAT32 (default) or FLOAT16 on a GPU @return this */
        public Builder optClipDtype(DataType dtype) {
            this.clipDtype = dtype;
            return this;
        }

        /**
         * @param dtype precision of cached and returned embeddings: FLOAT32 (default), or FLOAT16
         *     to halve host memory when the transformer runs in FLOAT16 (diffusers casts them to
         *     the transformer's dtype too)
         * @return this
         */
        public Builder optCacheDtype(DataType dtype) {
            this.cacheDtype = dtype;
            return this;
        }

        /** @param prompts prompts per encoder call (default 8) @return this */
        public Builder optEncodeBatch(int prompts) {
            this.encodeBatch = prompts;
            return this;
        }

        /**
         * @param prompts the most embeddings kept, least recently used dropped first (default
         *     unbounded; SD3.5-Medium's take 2.7 MB each in FLOAT16)
         * @return this
         */
        public Builder optMaxCachedPrompts(int prompts) {
            this.maxCachedPrompts = prompts;
            return this;
        }

        /**
         * @param parent the manager, and device, the encoders load under when needed
         * @return the encoder; no weights are loaded yet
         * @throws IllegalArgumentException naming a bad option
         */
        public Sd3PromptEncoder build(NDManager parent) {
            if (maxSequenceLength < 1 || maxSequenceLength > 512) {
                throw new IllegalArgumentException("maxSequenceLength must be in [1, 512], got " + maxSequenceLength);
            }
            for (DataType d : List.of(clipDtype, cacheDtype)) {
                if (d != DataType.FLOAT32 && d != DataType.FLOAT16) {
                    throw new IllegalArgumentException("prompt encoding runs in FLOAT32 or FLOAT16, not " + d);
                }
            }
            if (encodeBatch < 1 || maxCachedPrompts < 1) {
                throw new IllegalArgumentException("encodeBatch and maxCachedPrompts must be >= 1, got "
                        + encodeBatch + " and " + maxCachedPrompts);
            }
            if (parent == null) {
                throw new IllegalArgumentException("the prompt encoder needs a parent manager");
            }
            return new Sd3PromptEncoder(this, parent);
        }
    }
}
