/** Turns the benchmarks' JSON results into {@code benchmarks/RESULTS.md}. */
package io.diffrl4j.benchmarks.report;
