/**
 * The small command-line layer every example command shares: an option table that parses and
 * prints its own usage ({@link io.diffrl4j.examples.cli.CommandLine}), typed values named as typed
 * in errors ({@link io.diffrl4j.examples.cli.Arguments}), the exit-code rules (0 done or help, 1 a
 * runtime failure in one line, 2 a usage error) and the output-folder rule
 * ({@link io.diffrl4j.examples.cli.OutputFolder}).
 */
package io.diffrl4j.examples.cli;
