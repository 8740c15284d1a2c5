/**
 * Frozen text encoders of Stable Diffusion 3.5 with transformers' names and numerics: the CLIP
 * text model with projection (CLIP-L, CLIP-G) and the T5 encoder (T5-XXL), configured from
 * {@code config.json} and loaded from safetensors checkpoints. Inference only.
 */
package io.diffrl4j.core.text;
