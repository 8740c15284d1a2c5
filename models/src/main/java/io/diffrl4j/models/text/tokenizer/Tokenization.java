package io.diffrl4j.models.text.tokenizer;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;

/**
 * The ids of a batch of prompts and what truncation cut from them.
 *
 * <p>{@code ids} has one row per prompt, each exactly the tokenizer's length (special tokens and
 * padding included). {@code truncated} maps the index of every prompt that did not fit to the
 * decoded text of the tokens that were dropped (what diffusers prints in its warning: the tokens
 * between the last kept one and the end-of-sequence token); it is empty when every prompt fit.
 * The arrays are the caller's: nothing else keeps them.
 *
 * @param ids one row of ids per prompt
 * @param truncated prompt index to the text that was cut, in index order
 */
public record Tokenization(long[][] ids, Map<Integer, String> truncated) {
    /** Checks the parts and makes {@code truncated} unmodifiable. */
    public Tokenization {
        Objects.requireNonNull(ids, "ids");
        truncated = Collections.unmodifiableMap(new TreeMap<>(Objects.requireNonNull(truncated, "truncated")));
    }

    /** @return whether any prompt of the batch was truncated */
    public boolean anyTruncated() {
        return !truncated.isEmpty();
    }
}
