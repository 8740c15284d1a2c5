/**
 * GRPO-Guard ({@link io.diffrl4j.methods.grpoguard.GrpoGuard}): Flow-GRPO with a normalised
 * importance ratio and steps reweighted by their size, so the clip regulates every step alike.
 */
package io.diffrl4j.methods.grpoguard;
