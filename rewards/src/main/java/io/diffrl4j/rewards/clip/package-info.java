/**
 * CLIP-family scorers with transformers' numerics (docs/REWARDS.md, "CLIP-family scorers"):
 * {@link io.diffrl4j.rewards.clip.ClipImageProcessor} (CLIPImageProcessor, Pillow's bicubic
 * reproduced), {@link io.diffrl4j.rewards.clip.ClipScoreReward} (cosine similarity),
 * {@link io.diffrl4j.rewards.clip.PickScoreReward} (Flow-GRPO's scaling),
 * {@link io.diffrl4j.rewards.clip.AestheticReward} (the LAION improved aesthetic predictor) and
 * {@link io.diffrl4j.rewards.clip.ClipImageEmbedder} (unit CLIP image embeddings as features), each
 * loaded from a local transformers-format folder over the CLIP towers of
 * {@link io.diffrl4j.models.text.ClipModel}. Nothing is downloaded.
 */
package io.diffrl4j.rewards.clip;
