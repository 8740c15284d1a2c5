package io.diffrl4j.rewards.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The OCR prompt generator: deterministic, distinct, scoreable, and its file format. */
class OcrPromptsTest {
    @Test
    void sameSeedSamePromptsPinnedByJavasRandom() {
        List<String> a = OcrPrompts.generate(200, 0);
        assertEquals(a, OcrPrompts.generate(200, 0));
        assertNotEquals(a, OcrPrompts.generate(200, 1));
        // java.util.Random's sequence is specified, so these hold on every JVM.
        assertEquals(List.of(
                "A neon sign reading \"HELLO\" on a brick wall",
                "A t-shirt with \"Love\" printed on the front",
                "A vintage poster with the title \"Jazz\""), OcrPrompts.generate(3, 0));
        // A shorter run is a prefix of a longer one with the same seed.
        assertEquals(a.subList(0, 50), OcrPrompts.generate(50, 0));
    }

    @Test
    void countIsExactAndPromptsAreDistinct() {
        assertEquals(2880, OcrPrompts.capacity()); // 24 templates x 120 texts
        List<String> all = OcrPrompts.generate(OcrPrompts.capacity(), 7);
        assertEquals(OcrPrompts.capacity(), all.size());
        assertEquals(all.size(), new HashSet<>(all).size());
        assertEquals(1, OcrPrompts.generate(1, 7).size());
        assertThrows(IllegalArgumentException.class, () -> OcrPrompts.generate(0, 7));
        assertThrows(IllegalArgumentException.class, () -> OcrPrompts.generate(OcrPrompts.capacity() + 1, 7));
    }

    @Test
    void everyPromptHasOneQuotedTarget() {
        for (String p : OcrPrompts.generate(OcrPrompts.capacity(), 3)) {
            assertEquals(2, p.chars().filter(c -> c == '"').count(), p);
            String target = OcrRule.target(p);
            assertNotEquals(p, target, p);
            assertFalse(OcrRule.normalise(target).isEmpty(), p);
            assertEquals(target.strip(), target, p);
            assertFalse(p.contains("\n"), p);
            // Reading the quoted text exactly earns the full reward.
            assertEquals(1.0, OcrRule.score(p, target), 0, p);
        }
    }

    @Test
    void fileRoundTrip(@TempDir Path dir) throws Exception {
        List<String> prompts = OcrPrompts.generate(100, 42);
        Path file = dir.resolve("ocr-prompts.txt");
        OcrPrompts.write(prompts, file);
        assertEquals(100, Files.readAllLines(file).size()); // one prompt per line
        assertEquals(prompts, OcrPrompts.read(file));
        Files.writeString(file, "A sign that says \"hi\"\n\n  \nA mug with \"yo\"\n");
        assertEquals(List.of("A sign that says \"hi\"", "A mug with \"yo\""), OcrPrompts.read(file));
        assertThrows(IllegalArgumentException.class, () -> OcrPrompts.write(List.of("two\nlines"), file));
        assertTrue(Files.exists(file));
    }
}
