/**
 * The training loop end to end: throughput (images sampled and samples updated per second), the
 * time split between sampling, scoring, the update and the rest, peak resident memory, whether
 * native memory stays flat from epoch to epoch, and how much of the update step runs inside
 * native kernels. On the Shapes world (the shipped model and the demo's recipe) and on an
 * SD3.5-Medium-shaped model at 512 px.
 */
package io.diffrl4j.benchmarks.e2e;
