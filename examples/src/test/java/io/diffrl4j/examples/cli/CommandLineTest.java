package io.diffrl4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.AccessDeniedException;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shared parser: forms, typed values named as typed, usage, and the exit rules. */
class CommandLineTest {
    private static final CommandLine LINE = new CommandLine("bin/tool", "Does a thing.",
            Option.value("mode", "MODE", "the mode", "fast"),
            List.of(Option.value("epochs", "N", "epochs to train", "30"), Option.value("lr", "LR", "learning rate", "2e-3"),
                    Option.value("out", "DIR", "the output folder", null), Option.value("seeds", "S,S", "seeds", "1,2"),
                    Option.flag("dry-run", "print the plan")),
            "more text\n");

    @TempDir
    Path cwd;

    @Test
    void parsesValuesSwitchesAndTheArgument() {
        Arguments a = LINE.parse(new String[] {"slow", "--epochs", "4", "--lr=1e-4", "--dry-run", "--out", "x/y"}, cwd);
        assertEquals("slow", a.text("mode"));
        assertEquals(4, a.integer("epochs", 1));
        assertEquals(1e-4, a.positive("lr"));
        assertTrue(a.flag("dry-run"));
        assertEquals(cwd.resolve("x/y"), a.path("out"), "relative paths are the caller's");
        assertEquals(List.of("1", "2"), a.list("seeds"), "the default");
        Arguments d = LINE.parse(new String[0], cwd);
        assertEquals("fast", d.text("mode"));
        assertEquals(30, d.integer("epochs", 1));
        assertEquals(null, d.path("out"));
        assertEquals(false, d.flag("dry-run"));
        assertTrue(LINE.parse(new String[] {"--bogus", "--help"}, cwd).help(), "help wins over anything else");
    }

    @Test
    void badValuesAreNamedAsTyped() {
        assertEquals("--epochs -3: must be >= 1",
                assertThrows(UsageException.class, () -> LINE.parse(new String[] {"--epochs", "-3"}, cwd).integer("epochs", 1))
                        .getMessage());
        assertEquals("--epochs ten: must be a whole number", assertThrows(UsageException.class,
                () -> LINE.parse(new String[] {"--epochs", "ten"}, cwd).integer("epochs", 1)).getMessage());
        assertEquals("--lr -1: must be a positive number", assertThrows(UsageException.class,
                () -> LINE.parse(new String[] {"--lr", "-1"}, cwd).positive("lr")).getMessage());
        assertEquals("--seeds 1,,2: has an empty item; separate items with single commas", assertThrows(
                UsageException.class, () -> LINE.parse(new String[] {"--seeds", "1,,2"}, cwd).list("seeds")).getMessage());
        assertEquals("MODE odd: unknown", LINE.parse(new String[] {"odd"}, cwd).bad("mode", "unknown").getMessage());
        assertEquals("--epochs needs a value (N)",
                assertThrows(UsageException.class, () -> LINE.parse(new String[] {"--epochs", "--dry-run"}, cwd)).getMessage());
        assertEquals("unknown option --epoch; did you mean --epochs?",
                assertThrows(UsageException.class, () -> LINE.parse(new String[] {"--epoch", "3"}, cwd)).getMessage());
        assertEquals("--dry-run takes no value, got 'yes'",
                assertThrows(UsageException.class, () -> LINE.parse(new String[] {"--dry-run=yes"}, cwd)).getMessage());
        assertEquals(2, LINE.parse(new String[] {"--epochs", "1", "--epochs", "2"}, cwd).integer("epochs", 1), "the last wins");
        assertEquals("unexpected argument 'b'; give one MODE",
                assertThrows(UsageException.class, () -> LINE.parse(new String[] {"a", "b"}, cwd)).getMessage());
    }

    @Test
    void settingsFromAFileSitUnderTheCommandLine() {
        Arguments a = LINE.parse(new String[] {"--epochs", "5"}, cwd).withSettings(Map.of("epochs", "7", "lr", "0"),
                "--config run.json");
        assertEquals(5, a.integer("epochs", 1));
        assertEquals("--lr 0 (in --config run.json): must be a positive number",
                assertThrows(UsageException.class, () -> a.positive("lr")).getMessage());
        assertThrows(UsageException.class, () -> a.withSettings(Map.of("steps", "3"), "--config run.json"));
    }

    @Test
    void usageListsEveryOptionWithItsDescriptionAndDefault() {
        String usage = LINE.usage();
        assertTrue(usage.startsWith("usage: bin/tool [MODE] [options]\nDoes a thing.\n\n"), usage);
        assertTrue(usage.contains("\n  MODE         the mode (default: fast)\n"), usage);
        assertTrue(usage.contains("\n  --epochs N   epochs to train (default: 30)\n"), usage);
        assertTrue(usage.contains("\n  --out DIR    the output folder\n"), usage);
        assertTrue(usage.contains("\n  --dry-run    print the plan\n"), usage);
        assertTrue(usage.contains("\n  --help       print this help and exit (also -h)\n"), usage);
        assertTrue(usage.contains("\n  --verbose    on a failure, print the stack trace too\n"), usage);
        assertTrue(usage.endsWith("\nmore text\n"), usage);
    }

    @Test
    void exitRules() {
        CommandMain ok = (args, out, err, dir) -> LINE.execute(args, dir, out, err, a -> {
            out.println("epochs " + a.integer("epochs", 1));
            return 0;
        });
        CommandResult help = CommandResult.run(ok, cwd, "-h");
        assertEquals(0, help.status());
        assertEquals(LINE.usage(), help.out());
        assertEquals("", help.err());
        assertEquals("epochs 30\n", CommandResult.run(ok, cwd).out());
        CommandResult.run(ok, cwd, "--epochs", "0").assertUsageError("bin/tool", "--epochs 0: must be >= 1");

        CommandMain failing = (args, out, err, dir) -> LINE.execute(args, dir, out, err, a -> {
            throw new UncheckedIOException("cannot write the report", new AccessDeniedException("/x/report.md"));
        });
        CommandResult failed = CommandResult.run(failing, cwd);
        assertEquals(1, failed.status());
        assertEquals(List.of("bin/tool: cannot write the report: /x/report.md: permission denied"), failed.errLines());
        CommandResult verbose = CommandResult.run(failing, cwd, "--verbose");
        assertEquals(1, verbose.status());
        assertTrue(verbose.err().contains("\tat "), "a stack trace with --verbose");

        CommandMain wrapped = (args, out, err, dir) -> LINE.execute(args, dir, out, err, a -> {
            throw new IOException("reading model.json failed", new IllegalStateException("line 3: bad token"));
        });
        assertEquals(List.of("bin/tool: reading model.json failed: line 3: bad token"),
                CommandResult.run(wrapped, cwd).errLines());
    }
}
