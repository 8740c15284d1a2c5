/**
 * Performance of DiffRL4J, measured apart from the tests: JMH micro benchmarks ({@code micro}),
 * the training loop end to end with its memory ({@code e2e}), the same MMDiT timed against a
 * PyTorch implementation in one run ({@code peer}), and the generator of {@code RESULTS.md}
 * ({@code report}). {@code benchmarks/run.sh} runs everything and regenerates the report.
 */
package io.diffrl4j.benchmarks;
