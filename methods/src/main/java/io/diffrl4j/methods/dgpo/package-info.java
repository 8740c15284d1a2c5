/**
 * DGPO ({@link io.diffrl4j.methods.dgpo.Dgpo}): a group-level preference objective on the clean
 * samples of deterministic rollouts, without per-step likelihoods.
 */
package io.diffrl4j.methods.dgpo;
