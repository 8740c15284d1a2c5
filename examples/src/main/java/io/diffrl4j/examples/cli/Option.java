package io.diffrl4j.examples.cli;

/**
 * One option of a command: {@code --name VALUE} or, with no value name, a switch {@code --name}.
 *
 * @param name the name without the leading dashes, e.g. {@code epochs}
 * @param valueName what the value is, e.g. {@code N} or {@code DIR}; null for a switch
 * @param description one line saying what the option does
 * @param defaultValue the value when the option is not given, as it would be typed; null for none
 */
public record Option(String name, String valueName, String description, String defaultValue) {
    /** Validates the names. */
    public Option {
        if (name == null || !name.matches("[a-z][a-z0-9-]*")) {
            throw new IllegalArgumentException("an option name is lower-case words joined by '-', got '" + name + "'");
        }
        if (description == null || description.isBlank() || description.contains("\n")) {
            throw new IllegalArgumentException("option --" + name + " needs a one-line description");
        }
    }

    /**
     * @param name the name without dashes
     * @param valueName what the value is, e.g. {@code N}
     * @param description one line
     * @param defaultValue the default as typed, or null for none
     * @return an option that takes a value
     */
    public static Option value(String name, String valueName, String description, String defaultValue) {
        return new Option(name, valueName, description, defaultValue);
    }

    /**
     * @param name the name without dashes
     * @param description one line
     * @return a switch: given means true
     */
    public static Option flag(String name, String description) {
        return new Option(name, null, description, null);
    }

    /** @return whether this option is a switch (takes no value) */
    public boolean isFlag() {
        return valueName == null;
    }
}
