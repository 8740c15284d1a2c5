package io.diffrl4j.examples.cli;

import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.NoSuchFileException;
import java.nio.file.NotDirectoryException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A command's option table: it parses {@code --name value}, {@code --name=value} and switches
 * (an option given twice takes its last value),
 * prints the usage (every option with its description and default) for {@code -h}/{@code --help},
 * and runs the command under one set of exit rules ({@link #execute}):
 * <ul>
 *   <li>0: done, or help printed (nothing else happens);
 *   <li>2: a usage error, one line naming the option and value as typed plus a hint to use --help;
 *   <li>1: a runtime failure, one line naming what failed (the stack trace only with --verbose).
 * </ul>
 */
public final class CommandLine {
    /** Prints the usage and exits; added to every command. */
    public static final Option HELP = Option.flag("help", "print this help and exit (also -h)");
    /** Prints the stack trace of a failure; added to every command. */
    public static final Option VERBOSE = Option.flag("verbose", "on a failure, print the stack trace too");

    private final String command;
    private final String summary;
    private final Option positional;
    private final Map<String, Option> options = new LinkedHashMap<>();
    private final String epilogue;

    /**
     * @param command the command as a person types it, e.g. {@code bin/demo}
     * @param summary one line saying what it does
     * @param positional the one argument that is not an option (its value name, description and
     *     default), or null for none
     * @param options the options, in usage order; {@code --help} and {@code --verbose} are added
     * @param epilogue text printed after the options (e.g. the known rewards), or empty
     */
    public CommandLine(String command, String summary, Option positional, List<Option> options, String epilogue) {
        this.command = command;
        this.summary = summary;
        this.positional = positional;
        for (Option o : options) {
            if (this.options.put(o.name(), o) != null) {
                throw new IllegalArgumentException("option --" + o.name() + " is listed twice");
            }
        }
        if (positional != null && this.options.containsKey(positional.name())) {
            throw new IllegalArgumentException("the positional argument's name " + positional.name() + " is an option's");
        }
        this.options.putIfAbsent(HELP.name(), HELP);
        this.options.putIfAbsent(VERBOSE.name(), VERBOSE);
        this.epilogue = epilogue == null ? "" : epilogue;
    }

    /** @return the command as a person types it */
    public String command() {
        return command;
    }

    /**
     * @param args the command line
     * @param cwd the directory relative paths resolve against
     * @return the parsed arguments; {@link Arguments#help()} when -h or --help is among them (the
     *     rest is then not checked)
     * @throws UsageException for an unknown option, a missing value or an unexpected argument
     */
    public Arguments parse(String[] args, Path cwd) {
        for (String a : args) {
            if (a.equals("-h") || a.equals("--help")) {
                return new Arguments(options, null, Map.of(), List.of(), cwd, true);
            }
        }
        Map<String, String> given = new LinkedHashMap<>();
        List<String> positionals = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            String a = args[i];
            if (!a.startsWith("--")) {
                if (positional == null || !positionals.isEmpty()) {
                    throw new UsageException("unexpected argument '" + a + "'" + (a.startsWith("-") && a.length() > 1
                            ? "; options start with --" : positional == null ? "; options are --name value"
                            : "; give one " + positional.valueName()));
                }
                positionals.add(a);
                continue;
            }
            int eq = a.indexOf('=');
            String name = eq < 0 ? a.substring(2) : a.substring(2, eq);
            Option o = options.get(name);
            if (o == null) {
                throw new UsageException("unknown option --" + name + nearest(name));
            }
            String value;
            if (o.isFlag()) {
                if (eq >= 0) {
                    throw new UsageException("--" + name + " takes no value, got '" + a.substring(eq + 1) + "'");
                }
                value = "true";
            } else if (eq >= 0) {
                value = a.substring(eq + 1);
            } else if (i + 1 < args.length && !options.containsKey(optionName(args[i + 1]))) {
                value = args[++i];
            } else {
                throw new UsageException("--" + name + " needs a value (" + o.valueName() + ")");
            }
            given.put(name, value); // the last one wins, so that a command line can be extended
        }
        Map<String, Option> table = new LinkedHashMap<>(options);
        if (positional != null) {
            table.put(positional.name(), positional);
            if (!positionals.isEmpty()) {
                given.put(positional.name(), positionals.get(0));
            }
        }
        return new Arguments(table, positional == null ? null : positional.name(), given, positionals, cwd, false);
    }

    /** @return the usage text: synopsis, summary, every option with its description and default */
    public String usage() {
        StringBuilder b = new StringBuilder("usage: ").append(command);
        if (positional != null) {
            b.append(" [").append(positional.valueName()).append(']');
        }
        b.append(" [options]\n").append(summary).append("\n\n");
        List<String[]> rows = new ArrayList<>();
        if (positional != null) {
            rows.add(new String[] {positional.valueName(), describe(positional)});
        }
        for (Option o : options.values()) {
            rows.add(new String[] {"--" + o.name() + (o.isFlag() ? "" : " " + o.valueName()), describe(o)});
        }
        int width = rows.stream().mapToInt(r -> r[0].length()).max().orElse(0);
        for (String[] r : rows) {
            b.append(String.format(Locale.ROOT, "  %-" + width + "s  %s%n", r[0], r[1]));
        }
        if (!epilogue.isEmpty()) {
            b.append('\n').append(epilogue);
            if (!epilogue.endsWith("\n")) {
                b.append('\n');
            }
        }
        return b.toString();
    }

    /**
     * Parses and runs a command under the exit rules of the class comment.
     *
     * @param args the command line
     * @param cwd the directory relative paths resolve against
     * @param out where the usage and the command's output go
     * @param err where errors go
     * @param action what the command does
     * @return the exit status
     */
    public int execute(String[] args, Path cwd, PrintStream out, PrintStream err, CommandAction action) {
        boolean verbose = List.of(args).contains("--" + VERBOSE.name());
        try {
            Arguments a = parse(args, cwd);
            if (a.help()) {
                out.print(usage());
                out.flush();
                return 0;
            }
            return action.run(a);
        } catch (UsageException e) {
            err.println(command + ": " + oneLine(e.getMessage()));
            err.println("Try '" + command + " --help' for the options.");
            return 2;
        } catch (Exception | Error e) {
            err.println(command + ": " + describe(e));
            if (verbose) {
                e.printStackTrace(err);
            }
            return 1;
        } finally {
            out.flush();
            err.flush();
        }
    }

    /**
     * @param e a failure
     * @return one line saying what failed: the failure's own message, then its root cause's when
     *     that adds something (file-system failures name the file and what went wrong with it)
     */
    public static String describe(Throwable e) {
        String own = message(e);
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root != e) {
            String cause = message(root);
            if (!own.contains(cause)) {
                own = own + ": " + cause;
            }
        }
        return own;
    }

    /**
     * @param e a file-system failure
     * @return what went wrong, without the file: e.g. {@code permission denied}
     */
    static String problem(FileSystemException e) {
        return e instanceof NoSuchFileException ? "no such file or folder"
                : e instanceof AccessDeniedException ? "permission denied"
                : e instanceof FileAlreadyExistsException ? "already exists"
                : e instanceof NotDirectoryException ? "not a folder"
                : e.getReason() == null ? "cannot access it" : e.getReason();
    }

    private static String message(Throwable e) {
        if (e instanceof FileSystemException f) {
            return f.getFile() + ": " + problem(f) + (f.getOtherFile() == null ? "" : " (" + f.getOtherFile() + ")");
        }
        if (e instanceof UncheckedIOException && e.getCause() != null && e.getMessage() != null
                && e.getMessage().equals(e.getCause().toString())) {
            return message(e.getCause());
        }
        String m = e.getMessage();
        return m == null || m.isBlank() ? e.getClass().getSimpleName() : oneLine(m);
    }

    private static String oneLine(String message) {
        return message.strip().lines().findFirst().orElse("").strip();
    }

    private static String describe(Option o) {
        return o.description() + (o.defaultValue() == null || o.defaultValue().isEmpty() ? "" : " (default: "
                + o.defaultValue() + ")");
    }

    private static String optionName(String arg) {
        if (!arg.startsWith("--")) {
            return null;
        }
        int eq = arg.indexOf('=');
        return eq < 0 ? arg.substring(2) : arg.substring(2, eq);
    }

    private String nearest(String name) {
        for (String known : options.keySet()) {
            if (known.startsWith(name) || name.startsWith(known)) {
                return "; did you mean --" + known + "?";
            }
        }
        return "";
    }
}
