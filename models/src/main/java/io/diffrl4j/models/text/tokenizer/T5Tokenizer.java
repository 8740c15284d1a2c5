package io.diffrl4j.models.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * The T5 tokenizer (SentencePiece Unigram) of a transformers T5 tokenizer folder, loaded from its
 * {@code tokenizer.json}, giving the ids transformers' {@code T5TokenizerFast} gives with
 * {@code padding="max_length", max_length=n, truncation=True, add_special_tokens=True}, as the SD3
 * pipeline calls it with {@code max_sequence_length} (256 by default).
 *
 * <p>Promises: every prompt becomes exactly {@link #length()} ids: the prompt's tokens, the
 * end-of-sequence id ({@code </s>}, 1 in T5's vocabulary), then the pad id ({@code <pad>}, 0), both
 * read from the folder. A longer prompt keeps its first {@code length() - 1} tokens and still ends
 * with the end-of-sequence id; an SLF4J warning names the prompt and the decoded text that was cut,
 * as diffusers does, and {@link #tokenize} returns it.
 *
 * <p>Only {@code tokenizer.json} is read. A folder with just {@code spiece.model} is refused with a
 * message saying how to make the tokenizer.json: no SentencePiece runtime is part of this build
 * (DJL's {@code ai.djl.sentencepiece}, which bundles its native library, is not published for DJL
 * 0.35), and nothing may be downloaded at run time.
 *
 * <p>Holds native tokenizers: close it when done.
 */
public final class T5Tokenizer extends AbstractPromptTokenizer {
    /** The SD3 pipeline's default {@code max_sequence_length}. */
    public static final int DEFAULT_MAX_LENGTH = 256;
    /** The SentencePiece model file of a slow T5 tokenizer. */
    public static final String SPIECE_MODEL = "spiece.model";

    private static final String DEFAULT_EOS = "</s>";
    private static final String DEFAULT_PAD = "<pad>";

    private T5Tokenizer(Path folder, PaddedTokenizer tokenizer, long eosId, long padId, String padToken,
            int vocabularySize) {
        super(folder, tokenizer, eosId, padId, padToken, vocabularySize);
    }

    /**
     * @param folder a transformers T5 tokenizer folder (e.g. SD3.5's {@code tokenizer_3/})
     * @return its tokenizer with {@value #DEFAULT_MAX_LENGTH} ids per prompt
     * @throws IOException as {@link #load(Path, int)}
     */
    public static T5Tokenizer load(Path folder) throws IOException {
        return load(folder, DEFAULT_MAX_LENGTH);
    }

    /**
     * @param folder a transformers T5 tokenizer folder
     * @param maxLength ids per prompt (the pipeline's {@code max_sequence_length}), at least 2
     * @return its tokenizer
     * @throws FileNotFoundException when the folder has no tokenizer.json (the message says how to
     *     make one when it has a spiece.model)
     * @throws IOException when a file cannot be read or the tokenizers library rejects it
     * @throws IllegalArgumentException when the end-of-sequence or pad token is unknown, or the
     *     tokenizer.json does not end a prompt with the end-of-sequence token
     */
    public static T5Tokenizer load(Path folder, int maxLength) throws IOException {
        if (maxLength < 2) {
            throw new IllegalArgumentException("maxLength must be at least 2 (a token and </s>), got " + maxLength);
        }
        Path file = folder.resolve(TokenizerFiles.TOKENIZER_JSON);
        if (!Files.isRegularFile(file)) {
            throw missing(folder);
        }
        JsonNode read = TokenizerFiles.read(file);
        if (!read.isObject()) {
            throw new IOException(file + ": expected a JSON object");
        }
        ObjectNode json = (ObjectNode) read;
        Map<String, String> specials = TokenizerFiles.specialTokens(folder);
        String eos = specials.getOrDefault("eos_token", DEFAULT_EOS);
        String pad = specials.get("pad_token");
        if (pad == null) {
            pad = json.path("padding").path("pad_token").asText(DEFAULT_PAD);
        }
        long eosId = TokenizerFiles.requireId(json, eos, file, "end-of-sequence");
        long padId = TokenizerFiles.requireId(json, pad, file, "pad");
        PaddedTokenizer tokenizer = new PaddedTokenizer(json, maxLength, pad, padId, s -> s);
        T5Tokenizer out = new T5Tokenizer(folder, tokenizer, eosId, padId, pad, TokenizerFiles.vocabularySize(json));
        try {
            out.checkFraming();
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    private static FileNotFoundException missing(Path folder) {
        Path abs = folder.toAbsolutePath();
        if (Files.isRegularFile(folder.resolve(SPIECE_MODEL))) {
            return new FileNotFoundException(abs + " has " + SPIECE_MODEL + " but no " + TokenizerFiles.TOKENIZER_JSON
                    + ": the T5 tokenizer is read from tokenizer.json only (no SentencePiece runtime is bundled, and "
                    + "nothing is downloaded). Make it once with transformers: python -c \"from transformers import "
                    + "T5TokenizerFast; T5TokenizerFast.from_pretrained('" + abs + "').save_pretrained('" + abs + "')\"");
        }
        return new FileNotFoundException("no T5 tokenizer in " + abs + ": looked for " + TokenizerFiles.TOKENIZER_JSON
                + " (and " + SPIECE_MODEL + ", which would need converting to tokenizer.json)");
    }

    /** A tokenizer.json whose post-processor does not append eos would give the encoder wrong ids silently. */
    private void checkFraming() {
        long[] empty = emptyPromptIds();
        if (empty[0] != eosId() || empty[1] != padId()) {
            throw new IllegalArgumentException("the tokenizer of " + folder() + " encodes the empty prompt as "
                    + empty[0] + ", " + empty[1] + "...; expected eos " + eosId() + ", pad " + padId());
        }
    }

    @Override
    protected String truncationWarning(String removed, String prompt) {
        return truncationWarning(length(), removed, prompt, folder());
    }

    /** The diffusers warning, plus the prompt and the tokenizer it came from. */
    static String truncationWarning(int maxLength, String removed, String prompt, Path folder) {
        return "The following part of your input was truncated because `max_sequence_length` is set to "
                + maxLength + " tokens: " + removed + " (prompt \"" + prompt + "\", tokenizer " + folder + ")";
    }
}
