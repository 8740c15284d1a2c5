/**
 * DanceGRPO ({@link io.diffrl4j.methods.dancegrpo.DanceGrpo}): Flow-GRPO with a constant-noise SDE
 * on every step, a group sharing its initial noise, and a random share of the steps trained per image.
 */
package io.diffrl4j.methods.dancegrpo;
