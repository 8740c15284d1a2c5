package io.diffrl4j.examples.cli;

import java.nio.file.InvalidPathException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Supplier;

/**
 * A parsed command line: the values given, then those of a settings file ({@link #withSettings}),
 * then the option table's defaults. Typed getters throw a {@link UsageException} that names the
 * option and the value as typed, e.g. {@code --epochs -3: must be >= 1}. Relative paths resolve
 * against the caller's working directory, passed in rather than read from the process, so that
 * a command can be run in process with any directory.
 */
public final class Arguments {
    private final Map<String, Option> table;
    private final String positionalName;
    private final Map<String, String> given;
    private final Map<String, String> settings;
    private final String settingsSource;
    private final List<String> positionals;
    private final Path cwd;
    private final boolean help;

    /**
     * @param table the command's options, its positional argument (if any) among them
     * @param positionalName the name of the positional argument in the table, or null
     * @param given the options typed, and the positional argument under its name
     */
    Arguments(Map<String, Option> table, String positionalName, Map<String, String> given, List<String> positionals,
            Path cwd, boolean help) {
        this(table, positionalName, given, Map.of(), null, positionals, cwd, help);
    }

    private Arguments(Map<String, Option> table, String positionalName, Map<String, String> given,
            Map<String, String> settings, String settingsSource, List<String> positionals, Path cwd, boolean help) {
        this.table = table;
        this.positionalName = positionalName;
        this.given = Map.copyOf(given);
        this.settings = settings;
        this.settingsSource = settingsSource;
        this.positionals = List.copyOf(positionals);
        this.cwd = cwd;
        this.help = help;
    }

    /**
     * @param values option names to values as typed (null: the option's default), e.g. read from a
     *     settings file; the command line still wins over them
     * @param source where they came from, for error messages, e.g. {@code --config run.json}
     * @return these arguments with those values under the command line's
     * @throws UsageException naming a key that is not an option of the command
     */
    public Arguments withSettings(Map<String, String> values, String source) {
        Map<String, String> copy = new LinkedHashMap<>();
        values.forEach((k, v) -> {
            if (!table.containsKey(k) || table.get(k).isFlag() && !"true".equals(v) && !"false".equals(v) && v != null) {
                throw new UsageException(source + ": unknown key \"" + k + "\" or bad value '" + v + "'; keys are "
                        + table.keySet());
            }
            copy.put(k, v);
        });
        return new Arguments(table, positionalName, given, copy, source, positionals, cwd, help);
    }

    /** @return whether {@code -h} or {@code --help} was given */
    public boolean help() {
        return help;
    }

    /** @return the working directory relative paths resolve against */
    public Path cwd() {
        return cwd;
    }

    /** @return the arguments that are not options, in order */
    public List<String> positionals() {
        return positionals;
    }

    /**
     * @param name an option name
     * @return whether it was typed on the command line
     */
    public boolean given(String name) {
        return given.containsKey(option(name).name());
    }

    /**
     * @param name an option name
     * @return whether it has a value other than its default: typed, or from the settings file
     */
    public boolean specified(String name) {
        return given(name) || settings.get(option(name).name()) != null;
    }

    /**
     * @param name an option name
     * @return the value typed, else the settings file's, else the default; null when none
     */
    public String text(String name) {
        Option o = option(name);
        if (given.containsKey(name)) {
            return given.get(name);
        }
        if (settings.containsKey(name)) {
            return settings.get(name);
        }
        return o.defaultValue();
    }

    /**
     * @param name a switch
     * @return whether it is on
     */
    public boolean flag(String name) {
        String v = text(name);
        return v != null && !v.equals("false");
    }

    /**
     * @param name an option with a whole-number value
     * @param min the smallest value accepted
     * @return the value
     * @throws UsageException when it is missing, not a whole number, or below {@code min}
     */
    public int integer(String name, int min) {
        String v = required(name);
        int n;
        try {
            n = Integer.parseInt(v.trim());
        } catch (NumberFormatException e) {
            throw bad(name, "must be a whole number");
        }
        if (n < min) {
            throw bad(name, "must be >= " + min);
        }
        return n;
    }

    /**
     * @param name an option with a whole-number value of any size and sign (a seed)
     * @return the value
     * @throws UsageException when it is missing or not a whole number
     */
    public long wholeNumber(String name) {
        String v = required(name);
        try {
            return Long.parseLong(v.trim());
        } catch (NumberFormatException e) {
            throw bad(name, "must be a whole number");
        }
    }

    /**
     * @param name an option with a number value
     * @return the value, positive and finite
     * @throws UsageException when it is missing, not a number, not positive or not finite
     */
    public double positive(String name) {
        double x = number(name);
        if (!(x > 0) || Double.isInfinite(x)) {
            throw bad(name, "must be a positive number");
        }
        return x;
    }

    /**
     * @param name an option with a number value
     * @return the value, finite and {@code >= 0}
     * @throws UsageException when it is missing, not a number, negative or not finite
     */
    public double nonNegative(String name) {
        double x = number(name);
        if (!(x >= 0) || Double.isInfinite(x)) {
            throw bad(name, "must be a number >= 0");
        }
        return x;
    }

    private double number(String name) {
        String v = required(name);
        try {
            return Double.parseDouble(v.trim());
        } catch (NumberFormatException e) {
            throw bad(name, "must be a number");
        }
    }

    /**
     * @param name an option with a path value
     * @return the path resolved against {@link #cwd()}, or null when the option has no value
     * @throws UsageException when the value is not a path
     */
    public Path path(String name) {
        String v = text(name);
        if (v == null) {
            return null;
        }
        if (v.isBlank()) {
            throw bad(name, "must be a path");
        }
        try {
            return cwd.resolve(v).normalize();
        } catch (InvalidPathException e) {
            throw bad(name, "is not a path (" + e.getReason() + ")");
        }
    }

    /**
     * @param name an option with a comma-separated value
     * @return the items, trimmed
     * @throws UsageException when the value is missing or an item is empty
     */
    public List<String> list(String name) {
        String v = required(name);
        List<String> items = new ArrayList<>(Arrays.asList(v.split(",", -1)));
        items.replaceAll(String::trim);
        if (items.contains("")) {
            throw bad(name, "has an empty item; separate items with single commas");
        }
        return items;
    }

    /**
     * @param name an option
     * @param problem what is wrong with its value, e.g. {@code must be >= 1}
     * @return a usage error naming the option and its value as typed: {@code --epochs -3: must be >= 1}
     */
    public UsageException bad(String name, String problem) {
        String v = text(name);
        String where = !given.containsKey(name) && settings.containsKey(name) ? " (in " + settingsSource + ")" : "";
        String label = name.equals(positionalName) ? table.get(name).valueName() : "--" + name;
        return new UsageException(label + (v == null ? "" : " " + v) + where + ": " + problem);
    }

    /**
     * Builds something whose own checks throw {@link IllegalArgumentException}, as a usage error.
     *
     * @param <T> what is built
     * @param construction builds it, e.g. an options record whose constructor validates
     * @return what was built
     * @throws UsageException carrying the message of the construction's IllegalArgumentException
     */
    public static <T> T checked(Supplier<T> construction) {
        try {
            return construction.get();
        } catch (UsageException e) {
            throw e;
        } catch (IllegalArgumentException e) {
            throw new UsageException(e.getMessage());
        }
    }

    private String required(String name) {
        String v = text(name);
        if (v == null || v.isBlank()) {
            throw new UsageException("--" + name + " is required (" + option(name).description() + ")");
        }
        return v;
    }

    private Option option(String name) {
        Option o = table.get(name);
        if (o == null) {
            throw new IllegalStateException("the command has no option --" + name);
        }
        return o;
    }
}
