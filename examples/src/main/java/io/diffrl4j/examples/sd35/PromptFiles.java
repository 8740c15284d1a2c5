package io.diffrl4j.examples.sd35;

import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.rewards.geneval.GenEvalMetadata;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Prompt files in the reference repositories' formats: GenEval's metadata JSONL (a {@code .jsonl}
 * file; each prompt keeps its metadata for the GenEval reward), or plain text with one prompt per
 * line (Flow-GRPO's OCR and PickScore sets; blank lines are skipped).
 */
public final class PromptFiles {
    private PromptFiles() {}

    /**
     * @param file a {@code .jsonl} GenEval metadata file or a text file
     * @return its prompts, in file order
     * @throws IOException naming the file when it is missing, unreadable, malformed or empty
     */
    public static List<Prompt> read(Path file) throws IOException {
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null, "no such prompt file");
        }
        List<Prompt> prompts;
        if (file.getFileName().toString().endsWith(".jsonl")) {
            prompts = GenEvalMetadata.read(file);
        } else {
            prompts = new ArrayList<>();
            for (String line : Files.readAllLines(file)) {
                String p = line.strip();
                if (!p.isEmpty()) {
                    prompts.add(Prompt.of(p));
                }
            }
        }
        if (prompts.isEmpty()) {
            throw new IOException("prompt file " + file + " holds no prompts");
        }
        return prompts;
    }
}
