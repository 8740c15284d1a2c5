package io.diffrl4j.examples.cli;

import java.io.PrintStream;
import java.nio.file.Path;

/** The testable form every command's main has: {@code run(args, out, err, cwd) -> exit status}. */
@FunctionalInterface
public interface CommandMain {
    /**
     * @param args the command line
     * @param out standard output
     * @param err standard error
     * @param cwd the working directory
     * @return the exit status
     */
    int run(String[] args, PrintStream out, PrintStream err, Path cwd);
}
