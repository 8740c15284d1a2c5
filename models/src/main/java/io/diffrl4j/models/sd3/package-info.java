/**
 * Stable Diffusion 3 / 3.5 as a user has it on disk: a diffusers pipeline folder
 * ({@code model_index.json}, one sub-folder per component) whose components load on demand, and
 * SD3's prompt encoding (CLIP-L and CLIP-G penultimate states beside T5, 333 x 4096 tokens and a
 * 2048 pooled vector for SD3.5-Medium) with a per-prompt cache, after which the text encoders can
 * be released.
 */
package io.diffrl4j.models.sd3;
