package io.diffrl4j.examples.cli;

import java.io.IOException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * The output-folder rule every command that writes a run follows, so that two runs never mix in
 * one folder: a folder that exists and is not empty is refused unless {@code --resume} (continue
 * it) or {@code --overwrite} (delete it and start again) is given; {@code --overwrite} deletes only
 * a folder that looks like one of our runs (it holds {@value #MARKER}), never the working
 * directory or a folder above it. {@link #check} only looks, so it belongs with the argument
 * checks; {@link #prepare} acts, once the whole command line is known to be good.
 */
public final class OutputFolder {
    /** The file every run folder holds from its start; what makes a folder safe to overwrite. */
    public static final String MARKER = "config.json";
    /** Continue the run in the output folder. */
    public static final Option RESUME = Option.flag("resume", "continue the run in the output folder where it stopped");
    /** Replace the output folder. */
    public static final Option OVERWRITE = Option.flag("overwrite",
            "delete the output folder (a run folder: it holds " + MARKER + ") and start again");

    /** What to do with the output folder. */
    public enum Mode {
        /** It is absent or empty: start a run in it. */
        NEW,
        /** Continue the run in it (start one when it is absent or empty). */
        RESUME,
        /** Delete it and start a run. */
        OVERWRITE
    }

    private OutputFolder() {}

    /** @return the two options of the rule, for a command's option table */
    public static List<Option> options() {
        return List.of(RESUME, OVERWRITE);
    }

    /**
     * Applies the rule without touching anything.
     *
     * @param a the arguments, with {@link #RESUME} and {@link #OVERWRITE} in their table
     * @param option the name of the output-folder option, e.g. {@code out}
     * @param folder the output folder: the option's value, or the command's default for it
     * @return what to do
     * @throws UsageException naming the folder as typed (or as defaulted) when it is refused
     */
    public static Mode check(Arguments a, String option, Path folder) {
        boolean resume = a.flag(RESUME.name());
        boolean overwrite = a.flag(OVERWRITE.name());
        if (resume && overwrite) {
            throw new UsageException("--resume and --overwrite contradict each other; give one of them");
        }
        if (Files.exists(folder) && !Files.isDirectory(folder)) {
            throw refused(a, option, folder, "is a file, not a folder");
        }
        if (!nonEmpty(folder)) {
            return resume ? Mode.RESUME : Mode.NEW;
        }
        if (resume) {
            return Mode.RESUME;
        }
        if (overwrite) {
            Optional<String> why = refuseToDelete(folder, a.cwd());
            if (why.isPresent()) {
                throw refused(a, option, folder, "not overwritten: " + why.get());
            }
            return Mode.OVERWRITE;
        }
        throw refused(a, option, folder, "the folder exists and is not empty; give --resume to continue that run or "
                + "--overwrite to replace it");
    }

    private static UsageException refused(Arguments a, String option, Path folder, String why) {
        if (a.given(option)) {
            return a.bad(option, why);
        }
        Path shown = folder.startsWith(a.cwd()) ? a.cwd().relativize(folder) : folder;
        return new UsageException("--" + option + " " + shown + " (the default): " + why);
    }

    /**
     * Makes the folder ready: deleted first for {@link Mode#OVERWRITE} (after the same safety check
     * as {@link #check}), then created.
     *
     * @param folder the output folder
     * @param mode what {@link #check} said
     * @param cwd the working directory, never deleted
     * @throws IOException naming the folder when it cannot be deleted or created
     */
    public static void prepare(Path folder, Mode mode, Path cwd) throws IOException {
        if (mode == Mode.OVERWRITE && Files.exists(folder)) {
            Optional<String> why = refuseToDelete(folder, cwd);
            if (why.isPresent()) {
                throw new IOException(folder + " not overwritten: " + why.get());
            }
            try (Stream<Path> walk = Files.walk(folder)) {
                for (Path p : walk.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            } catch (IOException e) {
                throw new IOException(failure("delete", folder, e), e);
            }
        }
        try {
            Files.createDirectories(folder);
        } catch (IOException e) {
            throw new IOException(failure("create", folder, e), e);
        }
    }

    private static String failure(String verb, Path folder, IOException e) {
        String why = e instanceof FileSystemException f ? CommandLine.problem(f)
                + (folder.toString().equals(f.getFile()) ? "" : " at " + f.getFile()) : CommandLine.describe(e);
        return "cannot " + verb + " the output folder " + folder + ": " + why;
    }

    private static Optional<String> refuseToDelete(Path folder, Path cwd) {
        Path f = folder.toAbsolutePath().normalize();
        if (cwd.toAbsolutePath().normalize().startsWith(f)) {
            return Optional.of("it is the working directory or holds it");
        }
        if (Files.isSymbolicLink(folder)) {
            return Optional.of("it is a symbolic link");
        }
        if (!Files.isRegularFile(folder.resolve(MARKER))) {
            return Optional.of("it holds no " + MARKER + ", so it does not look like a run folder; delete it "
                    + "yourself if it is one");
        }
        return Optional.empty();
    }

    private static boolean nonEmpty(Path folder) {
        if (!Files.isDirectory(folder)) {
            return false;
        }
        try (Stream<Path> s = Files.list(folder)) {
            return s.findAny().isPresent();
        } catch (IOException e) {
            return true; // unreadable: treat as taken, so it is never silently reused
        }
    }
}
