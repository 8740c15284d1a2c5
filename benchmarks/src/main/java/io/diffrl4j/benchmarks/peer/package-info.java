/**
 * The Java MMDiT against a PyTorch implementation of the same model ({@code benchmarks/peer/mmdit_peer.py}),
 * on identical weights and inputs, timed alternately in one run.
 */
package io.diffrl4j.benchmarks.peer;
