/**
 * Frozen text encoders of Stable Diffusion 3.5 with transformers' names and numerics: the CLIP
 * text model with projection (CLIP-L, CLIP-G) and the T5 encoder (T5-XXL), configured from
 * {@code config.json} and loaded from safetensors checkpoints. Also the CLIP vision tower, which
 * shares the text model's encoder layers, and a whole {@code CLIPModel} (both towers and
 * {@code logit_scale}) for the CLIP-family rewards. Inference only.
 */
package io.diffrl4j.models.text;
