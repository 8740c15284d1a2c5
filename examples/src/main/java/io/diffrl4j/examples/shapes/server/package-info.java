/**
 * The Shapes world behind GenEval's wire protocol:
 * {@link io.diffrl4j.examples.shapes.server.ShapesGenEvalServer} answers the requests of a GenEval
 * reward-server client (ours, {@link io.diffrl4j.rewards.geneval.GenEvalClient}, or Flow-GRPO's)
 * with the {@link io.diffrl4j.examples.shapes.ShapesChecker}'s scores, so the remote-reward path can
 * be run and tested on one machine without a detector or weights.
 */
package io.diffrl4j.examples.shapes.server;
