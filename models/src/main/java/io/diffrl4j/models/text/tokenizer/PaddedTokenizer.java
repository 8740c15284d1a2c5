package io.diffrl4j.models.text.tokenizer;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;

/**
 * A DJL HuggingFace tokenizer that pads and truncates every prompt to exactly {@code maxLength} ids,
 * and that finds what truncation cut. Package-private engine of the CLIP and T5 tokenizers.
 *
 * <p>The tokenizer.json is loaded from memory: nothing is written to disk, and DJL sees no
 * {@code tokenizer_config.json}, so it adds no Java-side lower-casing, accent stripping or prefix
 * space of its own (the tokenizer.json's normalizer and pre-tokenizer do all of it).
 */
final class PaddedTokenizer implements AutoCloseable {
    private final String json;
    private final int maxLength;
    private final HuggingFaceTokenizer tokenizer;
    private final UnaryOperator<String> decodeCleanup;
    /** Same tokenizer without padding or truncation, made on the first truncation (rare). */
    private HuggingFaceTokenizer untruncated;

    /**
     * @param tokenizerJson the tokenizer.json tree; its padding and truncation blocks are replaced
     * @param maxLength ids per prompt
     * @param padToken the pad token
     * @param padId its id
     * @param decodeCleanup applied to every decoded text (CLIP turns its end-of-word suffix into spaces)
     * @throws IOException when the tokenizers library rejects the JSON
     */
    PaddedTokenizer(ObjectNode tokenizerJson, int maxLength, String padToken, long padId,
            UnaryOperator<String> decodeCleanup) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2, got " + maxLength);
        }
        ObjectNode copy = tokenizerJson.deepCopy();
        TokenizerFiles.setPaddingAndTruncation(copy, maxLength, padToken, padId);
        this.json = TokenizerFiles.JSON.writeValueAsString(copy);
        this.maxLength = maxLength;
        this.decodeCleanup = decodeCleanup;
        this.tokenizer = load(json, Map.of("padding", "max_length", "truncation", "true",
                "maxLength", Integer.toString(maxLength)));
    }

    private HuggingFaceTokenizer load(String text, Map<String, String> extra) throws IOException {
        Map<String, String> options = new LinkedHashMap<>(extra);
        options.put("addSpecialTokens", "true");
        // DJL clamps maxLength to modelMaxLength (512 unless told); the caller's length is the truth
        options.put("modelMaxLength", Integer.toString(maxLength));
        try {
            return HuggingFaceTokenizer.newInstance(new ByteArrayInputStream(text.getBytes(StandardCharsets.UTF_8)), options);
        } catch (RuntimeException e) {
            // the native library reports a malformed tokenizer.json as an unchecked exception
            throw new IOException("the tokenizers library rejected the tokenizer JSON: " + e.getMessage(), e);
        }
    }

    /** @return ids per prompt */
    int maxLength() {
        return maxLength;
    }

    /**
     * @param prompts texts
     * @return their ids, {@code maxLength} per prompt, and what was cut from the prompts that did not fit
     */
    Tokenization tokenize(List<String> prompts) {
        Encoding[] encodings = tokenizer.batchEncode(prompts);
        long[][] ids = new long[prompts.size()][];
        Map<Integer, String> truncated = new LinkedHashMap<>();
        for (int i = 0; i < ids.length; i++) {
            ids[i] = encodings[i].getIds();
            if (ids[i].length != maxLength) {
                throw new IllegalStateException("the tokenizer returned " + ids[i].length + " ids for prompt " + i
                        + ", expected " + maxLength);
            }
            if (encodings[i].exceedMaxLength()) {
                truncated.put(i, removedText(prompts.get(i)));
            }
        }
        return new Tokenization(ids, truncated);
    }

    /**
     * What diffusers reports as cut: the untruncated ids from position {@code maxLength - 1} up to,
     * not including, the final end-of-sequence token, decoded with special tokens kept.
     */
    private String removedText(String prompt) {
        long[] all = untruncated().encode(prompt).getIds();
        if (all.length <= maxLength) {
            return ""; // cannot happen when the truncated encoding overflowed; kept total for safety
        }
        return decode(Arrays.copyOfRange(all, maxLength - 1, all.length - 1), false);
    }

    private synchronized HuggingFaceTokenizer untruncated() {
        if (untruncated == null) {
            try {
                untruncated = load(json, Map.of("padding", "false", "truncation", "false"));
            } catch (IOException e) {
                throw new IllegalStateException("cannot reload a tokenizer that loaded before", e);
            }
        }
        return untruncated;
    }

    /**
     * @param ids token ids
     * @param skipSpecialTokens whether to drop special tokens (and so padding)
     * @return the text
     */
    String decode(long[] ids, boolean skipSpecialTokens) {
        return decodeCleanup.apply(tokenizer.decode(ids, skipSpecialTokens));
    }

    /** @return the tokens of a prompt, padded and truncated like its ids */
    List<String> tokens(String prompt) {
        return Arrays.asList(tokenizer.encode(prompt).getTokens());
    }

    @Override
    public synchronized void close() {
        tokenizer.close();
        if (untruncated != null) {
            untruncated.close();
            untruncated = null;
        }
    }
}
