/**
 * Flow-GRPO, the trajectory-based baseline (docs/ALGORITHMS.md 4): the clipped-ratio objective over
 * recorded SDE steps and the {@link io.diffrl4j.methods.flowgrpo.FlowGrpo} method factory.
 */
package io.diffrl4j.methods.flowgrpo;
