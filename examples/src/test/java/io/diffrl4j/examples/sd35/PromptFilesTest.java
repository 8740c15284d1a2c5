package io.diffrl4j.examples.sd35;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.Prompt;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Prompt files in the reference repositories' formats. */
class PromptFilesTest {
    @TempDir
    Path tmp;

    @Test
    void plainTextHasOnePromptPerLineAndSkipsBlankLines() throws IOException {
        Path f = Files.writeString(tmp.resolve("train.txt"), "A sign that says \"OPEN\"\n\n  a red apple  \r\n\n");
        assertEquals(List.of(Prompt.of("A sign that says \"OPEN\""), Prompt.of("a red apple")), PromptFiles.read(f));
    }

    @Test
    void genEvalJsonlKeepsTheMetadataTheRewardNeeds() throws IOException {
        Path f = Files.writeString(tmp.resolve("metadata.jsonl"), """
                {"tag": "counting", "include": [{"class": "apple", "count": 3}], "exclude": [{"class": "apple", "count": 4}], "prompt": "a photo of three apples"}
                {"tag": "single_object", "include": [{"class": "dog", "count": 1}], "prompt": "a photo of a dog"}
                """);
        List<Prompt> prompts = PromptFiles.read(f);
        assertEquals(List.of("a photo of three apples", "a photo of a dog"), prompts.stream().map(Prompt::text).toList());
        assertEquals("counting", prompts.get(0).metadata().get("tag"));
        assertTrue(prompts.get(0).metadata().containsKey("include"));
    }

    @Test
    void missingOrEmptyFilesAreNamed() throws IOException {
        Path missing = tmp.resolve("nope.txt");
        NoSuchFileException e = assertThrows(NoSuchFileException.class, () -> PromptFiles.read(missing));
        assertTrue(e.getMessage().contains("nope.txt"), e.getMessage());
        Path empty = Files.writeString(tmp.resolve("empty.txt"), "\n \n");
        assertEquals("prompt file " + empty + " holds no prompts",
                assertThrows(IOException.class, () -> PromptFiles.read(empty)).getMessage());
    }
}
