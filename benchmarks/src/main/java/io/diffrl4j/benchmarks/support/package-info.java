/** What every benchmark shares: argument parsing, statistics, process memory, machine facts, the SD3.5-M-shaped config. */
package io.diffrl4j.benchmarks.support;
