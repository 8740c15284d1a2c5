package io.diffrl4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/**
 * What a command did when run in process: its exit status and what it printed.
 *
 * @param status the exit status
 * @param out standard output
 * @param err standard error
 */
public record CommandResult(int status, String out, String err) {
    /**
     * @param main the command
     * @param cwd its working directory
     * @param args its command line
     * @return what it did
     */
    public static CommandResult run(CommandMain main, Path cwd, String... args) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        int status = main.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8), cwd);
        return new CommandResult(status, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
    }

    /** @return the lines of standard error */
    public List<String> errLines() {
        return err.lines().toList();
    }

    /**
     * Asserts a usage error: status 2, the message line, then the hint to use --help, nothing else.
     *
     * @param command the command's name, e.g. {@code bin/demo}
     * @param message the message after the command's name
     */
    public void assertUsageError(String command, String message) {
        assertEquals(List.of(command + ": " + message, "Try '" + command + " --help' for the options."), errLines(),
                "stdout: " + out);
        assertEquals(2, status);
    }

    /**
     * Asserts a successful help: status 0, and every one of {@code lines} somewhere in standard output.
     *
     * @param lines the fragments the help must show
     */
    public void assertHelp(List<String> lines) {
        assertEquals(0, status);
        for (String line : lines) {
            assertTrue(out.contains(line), line + " in\n" + out);
        }
    }

    /**
     * @param dir a folder
     * @return its entries, recursively, relative to it
     * @throws IOException when it cannot be listed
     */
    public static List<String> contents(Path dir) throws IOException {
        try (Stream<Path> s = Files.walk(dir)) {
            return s.filter(p -> !p.equals(dir)).map(p -> dir.relativize(p).toString()).sorted().toList();
        }
    }
}
