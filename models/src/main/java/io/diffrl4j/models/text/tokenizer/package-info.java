/**
 * The prompt tokenizers of Stable Diffusion 3.5, equivalent to transformers' fast tokenizers and
 * run through DJL's HuggingFace tokenizers (a Rust library bundled in its jar; nothing is downloaded):
 * {@link io.diffrl4j.models.text.tokenizer.ClipTokenizer} for CLIP-L and CLIP-G (byte-level BPE, 77
 * ids) and {@link io.diffrl4j.models.text.tokenizer.T5Tokenizer} for T5-XXL (Unigram, 256 ids by
 * default). Both pad and truncate to a fixed length the way the diffusers pipeline asks transformers
 * to, keep the end-of-sequence token when truncating, and log a warning naming what was cut.
 */
package io.diffrl4j.models.text.tokenizer;
