package io.diffrl4j.examples.cli;

/** What a command does with its parsed arguments; see {@link CommandLine#execute}. */
@FunctionalInterface
public interface CommandAction {
    /**
     * @param arguments the parsed command line (never a help request)
     * @return the exit status, 0 when done
     * @throws UsageException when the arguments cannot be run as typed (exit status 2)
     * @throws Exception on any other failure (exit status 1)
     */
    int run(Arguments arguments) throws Exception;
}
