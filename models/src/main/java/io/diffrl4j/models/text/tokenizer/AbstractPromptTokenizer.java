package io.diffrl4j.models.text.tokenizer;

import java.nio.file.Path;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What the CLIP and T5 tokenizers share: a fixed number of ids per prompt from a
 * {@link PaddedTokenizer}, the folder's end-of-sequence and pad tokens, and diffusers' warning when
 * a prompt is truncated (each subclass words it as diffusers does for its encoder).
 *
 * <p>Holds native tokenizers: close it when done.
 */
public abstract class AbstractPromptTokenizer implements AutoCloseable {
    private final Logger log = LoggerFactory.getLogger(getClass());
    private final Path folder;
    private final PaddedTokenizer tokenizer;
    private final long eosId;
    private final long padId;
    private final String padToken;
    private final int vocabularySize;

    /**
     * @param folder the folder the files came from
     * @param tokenizer the padding tokenizer (owned: closed with this)
     * @param eosId the end-of-sequence id
     * @param padId the pad id
     * @param padToken the pad token
     * @param vocabularySize one more than the largest id
     */
    protected AbstractPromptTokenizer(Path folder, PaddedTokenizer tokenizer, long eosId, long padId, String padToken,
            int vocabularySize) {
        this.folder = folder;
        this.tokenizer = tokenizer;
        this.eosId = eosId;
        this.padId = padId;
        this.padToken = padToken;
        this.vocabularySize = vocabularySize;
    }

    /**
     * @param removed the decoded text that was cut
     * @param prompt the whole prompt
     * @return the warning logged for a truncated prompt
     */
    protected abstract String truncationWarning(String removed, String prompt);

    /**
     * Tokenizes prompts, logging a warning for each that was truncated.
     *
     * @param prompts texts
     * @return {@link #length()} ids per prompt and what was cut
     */
    public final Tokenization tokenize(List<String> prompts) {
        Tokenization t = tokenizer.tokenize(prompts);
        t.truncated().forEach((i, removed) -> log.warn(truncationWarning(removed, prompts.get(i))));
        return t;
    }

    /**
     * @param prompts texts
     * @return {@link #length()} ids per prompt (a warning is logged for each truncated prompt)
     */
    public final long[][] encode(List<String> prompts) {
        return tokenize(prompts).ids();
    }

    /** @param prompt a text @return its {@link #length()} ids */
    public final long[] encode(String prompt) {
        return encode(List.of(prompt))[0];
    }

    /** @param prompt a text @return its {@link #length()} tokens, special tokens and padding included */
    public final List<String> tokens(String prompt) {
        return tokenizer.tokens(prompt);
    }

    /** @param ids token ids @return the text, special tokens and padding dropped */
    public final String decode(long[] ids) {
        return tokenizer.decode(ids, true);
    }

    /** @return ids per prompt */
    public final int length() {
        return tokenizer.maxLength();
    }

    /** @return one more than the largest id the tokenizer can give */
    public final int vocabularySize() {
        return vocabularySize;
    }

    /** @return the end-of-sequence id */
    public final long eosId() {
        return eosId;
    }

    /** @return the pad id, as the folder's files say */
    public final long padId() {
        return padId;
    }

    /** @return the pad token, as the folder's files say */
    public final String padToken() {
        return padToken;
    }

    /** @return the folder the tokenizer came from */
    public final Path folder() {
        return folder;
    }

    /** @return the ids of the empty prompt, for subclasses' framing checks */
    protected final long[] emptyPromptIds() {
        return tokenizer.tokenize(List.of("")).ids()[0];
    }

    @Override
    public final void close() {
        tokenizer.close();
    }
}
