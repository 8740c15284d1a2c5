package io.diffrl4j.examples.cli;

/**
 * A command line that cannot be run as typed: an unknown option, a missing or bad value, a
 * refused output folder. Commands exit with status 2 on it, after one line naming the problem.
 */
public final class UsageException extends IllegalArgumentException {
    private static final long serialVersionUID = 1L;

    /** @param message one line naming the bad option or value as typed */
    public UsageException(String message) {
        super(message);
    }
}
