/**
 * GARDO as recipes ({@link io.diffrl4j.methods.gardo.Gardo}): its gated KL, adaptive reference and
 * diversity-aware advantage ({@code io.diffrl4j.regularizers.gardo}) put onto Flow-GRPO,
 * DiffusionNFT or any method with a KL.
 */
package io.diffrl4j.methods.gardo;
