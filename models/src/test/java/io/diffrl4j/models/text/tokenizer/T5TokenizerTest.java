package io.diffrl4j.models.text.tokenizer;

import static io.diffrl4j.models.text.tokenizer.TinyTokenizers.TEMPLATE;
import static io.diffrl4j.models.text.tokenizer.TinyTokenizers.t5;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;

import java.io.FileNotFoundException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A tiny T5-style Unigram tokenizer.json written here (the structure transformers' T5 converter
 * gives: Strip + Replace normalizer, Metaspace, "$A </s>" template); the expected ids follow from the
 * piece scores by hand (the best-scoring segmentation wins).
 */
class T5TokenizerTest {
    static final long PAD = 0;
    static final long EOS = 1;
    static final long UNK = 2;


    @TempDir
    Path tmp;

    /** The given ids, eos, then pad to length. */
    static long[] ended(int length, long... tokens) {
        long[] out = new long[length];
        Arrays.fill(out, PAD);
        System.arraycopy(tokens, 0, out, 0, tokens.length);
        out[tokens.length] = EOS;
        return out;
    }

    @Test
    void idsAreHandComputedWithEosAndPadTo256() throws IOException {
        try (T5Tokenizer t = T5Tokenizer.load(t5(tmp.resolve("t5"), TEMPLATE))) {
            assertEquals(256, t.length());
            assertEquals(EOS, t.eosId());
            assertEquals(PAD, t.padId());
            assertEquals("<pad>", t.padToken());
            assertEquals(13, t.vocabularySize());
            long[][] ids = t.encode(List.of("a cat", "cats", "the  cat.", "a cat!", "", "dog   "));
            assertArrayEquals(ended(256, 4, 5), ids[0]);
            // ▁cat + s (-3.5) beats ▁c + a + t + s (-11)
            assertArrayEquals(ended(256, 5, 9), ids[1]);
            // the double space is one separator; "." splits off ▁cat
            assertArrayEquals(ended(256, 11, 5, 12), ids[2]);
            // "!" is not a piece: <unk>
            assertArrayEquals(ended(256, 4, 5, UNK), ids[3]);
            assertArrayEquals(ended(256), ids[4]);
            // trailing spaces are stripped
            assertArrayEquals(ended(256, 10), ids[5]);
            assertEquals(List.of("\u2581the", "\u2581cat", ".", "</s>", "<pad>"), t.tokens("the  cat.").subList(0, 5));
            assertEquals("the cat.", t.decode(ids[2]));
        }
    }

    @Test
    void truncationKeepsEosLastAtAConfiguredLength() throws IOException {
        try (T5Tokenizer t = T5Tokenizer.load(t5(tmp.resolve("t5"), TEMPLATE), 8)) {
            assertEquals(8, t.length());
            Tokenization out = t.tokenize(List.of("a cat a cat a cat a cat a cat", "the dog"));
            assertArrayEquals(new long[] {4, 5, 4, 5, 4, 5, 4, EOS}, out.ids()[0]);
            assertArrayEquals(ended(8, 11, 10), out.ids()[1]);
            assertEquals(Map.of(0, "cat a cat"), out.truncated());
            // seven tokens fit exactly
            Tokenization fits = t.tokenize(List.of("a cat a cat a cat a"));
            assertFalse(fits.anyTruncated());
            assertArrayEquals(new long[] {4, 5, 4, 5, 4, 5, 4, EOS}, fits.ids()[0]);
        }
    }

    @Test
    void truncationIsLoggedAsAWarning() throws IOException {
        assumeTrue(LoggerFactory.getILoggerFactory().getClass().getName().startsWith("org.slf4j.simple"),
                "captures slf4j-simple's System.err output");
        assumeTrue(LoggerFactory.getLogger(T5Tokenizer.class).isWarnEnabled());
        try (T5Tokenizer t = T5Tokenizer.load(t5(tmp.resolve("t5"), TEMPLATE), 8)) {
            String err = ClipTokenizerTest.captureStandardError(() -> t.encode("a cat a cat a cat a cat a cat"));
            assertTrue(err.contains("The following part of your input was truncated because `max_sequence_length` "
                    + "is set to 8 tokens: cat a cat"), err);
            assertTrue(err.contains("a cat a cat a cat a cat a cat"), err);
        }
    }

    @Test
    void aTokenizerJsonThatDoesNotAppendEosIsRefused() throws IOException {
        Path dir = t5(tmp.resolve("no_eos"), "\"post_processor\": null");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> T5Tokenizer.load(dir));
        assertTrue(e.getMessage().contains("expected eos 1"), e.getMessage());
    }

    @Test
    void missingFilesAreClearErrors() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("empty"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> T5Tokenizer.load(empty));
        assertTrue(e.getMessage().contains(empty.toAbsolutePath().toString()), e.getMessage());
        assertTrue(e.getMessage().contains("tokenizer.json"), e.getMessage());

        Path slowOnly = Files.createDirectories(tmp.resolve("slow"));
        Files.write(slowOnly.resolve("spiece.model"), new byte[] {10, 0});
        e = assertThrows(FileNotFoundException.class, () -> T5Tokenizer.load(slowOnly));
        for (String part : List.of("spiece.model", "tokenizer.json", "T5TokenizerFast", "save_pretrained",
                slowOnly.toAbsolutePath().toString())) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
        assertThrows(IllegalArgumentException.class, () -> T5Tokenizer.load(slowOnly, 1));
    }
}
