/**
 * MixGRPO ({@link io.diffrl4j.methods.mixgrpo.MixGrpo}): Flow-GRPO with SDE and training only in a
 * window of steps that slides over training, ODE steps elsewhere.
 */
package io.diffrl4j.methods.mixgrpo;
