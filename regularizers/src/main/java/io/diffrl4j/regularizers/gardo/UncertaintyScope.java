package io.diffrl4j.regularizers.gardo;

/** Over which samples win-rates and ranks are computed (docs/ALGORITHMS.md 6.1). */
public enum UncertaintyScope {
    /** All images of the epoch (the official code: all prompts of the epoch). Default. */
    BATCH,
    /** Each prompt's group of G images separately. */
    GROUP
}
