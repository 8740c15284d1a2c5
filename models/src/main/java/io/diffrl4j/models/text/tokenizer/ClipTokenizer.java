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
 * A CLIP tokenizer (CLIP-L, OpenCLIP bigG) loaded from a transformers tokenizer folder, giving the
 * ids transformers' {@code CLIPTokenizerFast} gives with {@code padding="max_length",
 * max_length=77, truncation=True}, as the SD3 pipeline calls it.
 *
 * <p>Promises: every prompt becomes exactly {@value #MAX_LENGTH} ids: the beginning-of-sequence
 * id, the prompt's tokens (NFC, whitespace runs collapsed, lower-cased, byte-level BPE with the
 * {@value #END_OF_WORD_SUFFIX} suffix), the end-of-sequence id, then the folder's own pad id (CLIP-L
 * pads with {@code <|endoftext|>}, CLIP-G with {@code !} = 0; the pad id changes the encoder's
 * output, so it is read from the folder, never assumed). A prompt longer than that keeps its first
 * 75 tokens and still ends with the end-of-sequence id at position 76; an SLF4J warning names the
 * prompt and the decoded text that was cut, as diffusers does, and {@link #tokenize} returns it.
 *
 * <p>Files: {@code tokenizer.json} when the folder has one; otherwise {@code vocab.json} +
 * {@code merges.txt}, from which the tokenizer.json transformers' CLIP converter would make is built
 * in memory ({@link #buildTokenizerJson}). The special tokens come from {@code special_tokens_map.json}
 * and then {@code tokenizer_config.json}, with CLIPTokenizer's defaults ({@code <|startoftext|>},
 * {@code <|endoftext|>} for eos, unk and pad) for what neither names.
 *
 * <p>Holds native tokenizers: close it when done. Nothing is downloaded.
 */
public final class ClipTokenizer extends AbstractPromptTokenizer {
    /** Ids per prompt: CLIP's context length. */
    public static final int MAX_LENGTH = 77;
    /** The suffix CLIP's BPE marks the last token of a word with. */
    public static final String END_OF_WORD_SUFFIX = "</w>";


    private final long bosId;

    private ClipTokenizer(Path folder, PaddedTokenizer tokenizer, long bosId, long eosId, long padId, String padToken,
            int vocabularySize) {
        super(folder, tokenizer, eosId, padId, padToken, vocabularySize);
        this.bosId = bosId;
    }

    /**
     * Loads the tokenizer of a transformers CLIP tokenizer folder (e.g. SD3.5's {@code tokenizer/} or
     * {@code tokenizer_2/}).
     *
     * @param folder the folder
     * @return the tokenizer
     * @throws FileNotFoundException when the folder has neither tokenizer.json nor vocab.json + merges.txt
     * @throws IOException when a file cannot be read or the tokenizers library rejects the result
     * @throws IllegalArgumentException when a special token is not in the vocabulary, or the
     *     tokenizer.json does not frame a prompt as {@code bos ... eos}
     */
    public static ClipTokenizer load(Path folder) throws IOException {
        ObjectNode json = tokenizerJson(folder);
        Path file = Files.isRegularFile(folder.resolve(TokenizerFiles.TOKENIZER_JSON))
                ? folder.resolve(TokenizerFiles.TOKENIZER_JSON) : folder.resolve(ClipTokenizerJson.VOCAB);
        Map<String, String> specials = TokenizerFiles.specialTokens(folder);
        String bos = specials.getOrDefault("bos_token", ClipTokenizerJson.DEFAULT_BOS);
        String eos = specials.getOrDefault("eos_token", ClipTokenizerJson.DEFAULT_EOS);
        String pad = specials.get("pad_token");
        if (pad == null) {
            // a saved tokenizer.json may carry the pad token in its own padding block
            pad = json.path("padding").path("pad_token").asText(ClipTokenizerJson.DEFAULT_PAD);
        }
        long bosId = TokenizerFiles.requireId(json, bos, file, "beginning-of-sequence");
        long eosId = TokenizerFiles.requireId(json, eos, file, "end-of-sequence");
        long padId = TokenizerFiles.requireId(json, pad, file, "pad");
        PaddedTokenizer tokenizer = new PaddedTokenizer(json, MAX_LENGTH, pad, padId, ClipTokenizer::cleanDecoded);
        ClipTokenizer out = new ClipTokenizer(folder, tokenizer, bosId, eosId, padId, pad,
                TokenizerFiles.vocabularySize(json));
        try {
            out.checkFraming();
        } catch (RuntimeException e) {
            out.close();
            throw e;
        }
        return out;
    }

    /**
     * The tokenizer.json of a CLIP tokenizer folder, as text: the folder's own file when it has one,
     * otherwise the equivalent of what transformers' CLIP converter builds from {@code vocab.json} and
     * {@code merges.txt} (see {@link #load}). Write it next to them as {@code tokenizer.json} to skip
     * the conversion next time; padding and truncation are not part of it.
     *
     * @param folder the folder
     * @return the JSON text
     * @throws IOException as {@link #load}
     */
    public static String buildTokenizerJson(Path folder) throws IOException {
        return TokenizerFiles.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(tokenizerJson(folder));
    }

    private static ObjectNode tokenizerJson(Path folder) throws IOException {
        Path file = folder.resolve(TokenizerFiles.TOKENIZER_JSON);
        if (Files.isRegularFile(file)) {
            JsonNode json = TokenizerFiles.read(file);
            if (!json.isObject()) {
                throw new IOException(file + ": expected a JSON object");
            }
            return (ObjectNode) json;
        }
        if (ClipTokenizerJson.present(folder)) {
            return ClipTokenizerJson.build(folder);
        }
        throw new FileNotFoundException("no CLIP tokenizer in " + folder.toAbsolutePath() + ": looked for "
                + TokenizerFiles.TOKENIZER_JSON + ", or " + ClipTokenizerJson.VOCAB + " + " + ClipTokenizerJson.MERGES
                + " (with " + TokenizerFiles.SPECIAL_TOKENS_MAP + " / " + TokenizerFiles.TOKENIZER_CONFIG
                + " for the special tokens)");
    }

    /** A tokenizer.json whose post-processor does not add bos/eos would give the encoder wrong ids silently. */
    private void checkFraming() {
        long[] empty = emptyPromptIds();
        if (empty[0] != bosId || empty[1] != eosId() || empty[2] != padId()) {
            throw new IllegalArgumentException("the tokenizer of " + folder() + " encodes the empty prompt as "
                    + empty[0] + ", " + empty[1] + ", " + empty[2] + "...; expected bos " + bosId + ", eos " + eosId()
                    + ", pad " + padId());
        }
    }

    /** CLIPTokenizerFast's decode: the end-of-word suffix becomes a space, the ends are stripped. */
    private static String cleanDecoded(String text) {
        return text.replace(END_OF_WORD_SUFFIX, " ").strip();
    }

    @Override
    protected String truncationWarning(String removed, String prompt) {
        return truncationWarning(MAX_LENGTH, removed, prompt, folder());
    }

    /** The diffusers warning, plus the prompt and the tokenizer it came from. */
    static String truncationWarning(int maxLength, String removed, String prompt, Path folder) {
        return "The following part of your input was truncated because CLIP can only handle sequences up to "
                + maxLength + " tokens: " + removed + " (prompt \"" + prompt + "\", tokenizer " + folder + ")";
    }

    /** @return the beginning-of-sequence id */
    public long bosId() {
        return bosId;
    }
}
