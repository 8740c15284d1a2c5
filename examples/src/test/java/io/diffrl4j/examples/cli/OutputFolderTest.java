package io.diffrl4j.examples.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The output-folder rule: two runs never mix, and --overwrite deletes only a run folder. */
class OutputFolderTest {
    private static final CommandLine LINE = new CommandLine("bin/tool", "Writes a run.", null,
            List.of(Option.value("out", "DIR", "the output folder", "runs/x"), OutputFolder.RESUME, OutputFolder.OVERWRITE),
            "");

    @TempDir
    Path cwd;

    private OutputFolder.Mode check(String... args) {
        Arguments a = LINE.parse(args, cwd);
        return OutputFolder.check(a, "out", a.path("out"));
    }

    @Test
    void anAbsentOrEmptyFolderIsNew() throws Exception {
        assertEquals(OutputFolder.Mode.NEW, check());
        Files.createDirectories(cwd.resolve("runs/x"));
        assertEquals(OutputFolder.Mode.NEW, check());
        assertEquals(OutputFolder.Mode.RESUME, check("--resume"));
    }

    @Test
    void aFolderInUseIsRefusedUnlessResumedOrOverwritten() throws Exception {
        Path run = Files.createDirectories(cwd.resolve("mine"));
        Files.writeString(run.resolve("metrics.csv"), "epoch\n0\n");
        assertEquals("--out mine: the folder exists and is not empty; give --resume to continue that run or --overwrite "
                + "to replace it", assertThrows(UsageException.class, () -> check("--out", "mine")).getMessage());
        assertEquals(OutputFolder.Mode.RESUME, check("--out", "mine", "--resume"));
        assertEquals("--out mine: not overwritten: it holds no config.json, so it does not look like a run folder; "
                + "delete it yourself if it is one",
                assertThrows(UsageException.class, () -> check("--out", "mine", "--overwrite")).getMessage());
        assertEquals("--resume and --overwrite contradict each other; give one of them",
                assertThrows(UsageException.class, () -> check("--out", "mine", "--overwrite", "--resume")).getMessage());
        Files.writeString(run.resolve("config.json"), "{}");
        assertEquals(OutputFolder.Mode.OVERWRITE, check("--out", "mine", "--overwrite"));
        assertTrue(Files.exists(run.resolve("metrics.csv")), "checking deletes nothing");

        Files.createDirectories(cwd.resolve("runs/x"));
        Files.writeString(cwd.resolve("runs/x/a"), "");
        assertEquals("--out runs/x (the default): the folder exists and is not empty; give --resume to continue that "
                + "run or --overwrite to replace it", assertThrows(UsageException.class, this::check).getMessage());
        Files.writeString(cwd.resolve("file"), "");
        assertEquals("--out file: is a file, not a folder",
                assertThrows(UsageException.class, () -> check("--out", "file")).getMessage());
    }

    @Test
    void overwriteDeletesOnlyTheNamedRunFolder() throws Exception {
        Path run = Files.createDirectories(cwd.resolve("runs/a/checkpoints"));
        Files.writeString(cwd.resolve("runs/a/config.json"), "{}");
        Files.writeString(cwd.resolve("runs/b"), "another run's file");
        OutputFolder.prepare(cwd.resolve("runs/a"), check("--out", "runs/a", "--overwrite"), cwd);
        assertEquals(List.of("a", "b"), CommandResult.contents(cwd.resolve("runs")));
        assertFalse(Files.exists(run));

        Files.writeString(cwd.resolve("config.json"), "{}");
        assertEquals("--out .: not overwritten: it is the working directory or holds it",
                assertThrows(UsageException.class, () -> check("--out", ".", "--overwrite")).getMessage());
    }
}
