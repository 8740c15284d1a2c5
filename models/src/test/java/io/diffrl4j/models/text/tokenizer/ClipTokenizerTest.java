package io.diffrl4j.models.text.tokenizer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assumptions.assumeTrue;
import static io.diffrl4j.models.text.tokenizer.TinyTokenizers.MERGES;
import static io.diffrl4j.models.text.tokenizer.TinyTokenizers.clipG;
import static io.diffrl4j.models.text.tokenizer.TinyTokenizers.clipL;

import java.io.ByteArrayOutputStream;
import java.io.FileNotFoundException;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.stream.LongStream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/**
 * A tiny slow CLIP tokenizer written here (48 tokens, 14 merges) converted and run through DJL; the
 * expected ids are worked out by hand from the vocabulary and merge ranks below.
 */
class ClipTokenizerTest {
    static final long BOS = 46;
    static final long EOS = 47;
    static final long BANG = 0;

    @TempDir
    Path tmp;

    /** bos, the given ids, eos, then pad to 77. */
    static long[] framed(long pad, long... tokens) {
        long[] out = new long[ClipTokenizer.MAX_LENGTH];
        Arrays.fill(out, pad);
        out[0] = BOS;
        System.arraycopy(tokens, 0, out, 1, tokens.length);
        out[tokens.length + 1] = EOS;
        return out;
    }

    @Test
    void clipLIdsAreHandComputedAndPadWithEndOfText() throws IOException {
        try (ClipTokenizer t = ClipTokenizer.load(clipL(tmp.resolve("clip_l")))) {
            assertEquals(BOS, t.bosId());
            assertEquals(EOS, t.eosId());
            assertEquals(EOS, t.padId());
            assertEquals("<|endoftext|>", t.padToken());
            assertEquals(77, t.length());
            assertEquals(48, t.vocabularySize());
            // lower-cased, the double space and the tab collapsed; photo/of/dog come from merges, "." alone
            assertArrayEquals(framed(EOS, 19, 35, 44, 19, 43, 18), t.encode("A  Photo\tof a DOG."));
            // one word, two sub-words: photo + graphy</w>
            assertArrayEquals(framed(EOS, 37, 41), t.encode("photography"));
            // no merges apply: single bytes; punctuation is its own word
            assertArrayEquals(framed(EOS, 8, 5, 9, 9, 26, 17, 14, 10, 12, 9, 20, 16), t.encode("hello, world!"));
            // a punctuation run is one word: ! + !</w> merge into !!</w>
            assertArrayEquals(framed(EOS, 14, 10, 30, 45), t.encode("wow!!"));
            // "z" is not in the vocabulary: the unknown token (<|endoftext|>)
            assertArrayEquals(framed(EOS, 47, 3, 27), t.encode("zap"));
            assertArrayEquals(framed(EOS), t.encode("  "));
            assertEquals(List.of("<|startoftext|>", "photo", "graphy</w>", "<|endoftext|>", "<|endoftext|>"),
                    t.tokens("photography").subList(0, 5));
            assertEquals("a photo of a dog .", t.decode(t.encode("A  Photo\tof a DOG.")));
        }
    }

    @Test
    void clipGPadsWithBangAndKeepsBangAsItsOwnSpecialToken() throws IOException {
        try (ClipTokenizer t = ClipTokenizer.load(clipG(tmp.resolve("clip_g")))) {
            assertEquals(BANG, t.padId());
            assertEquals("!", t.padToken());
            assertEquals(BOS, t.bosId());
            assertEquals(EOS, t.eosId());
            long[][] ids = t.encode(List.of("A  Photo\tof a DOG.", "", "hello, world!", "wow!!"));
            assertArrayEquals(framed(BANG, 19, 35, 44, 19, 43, 18), ids[0]);
            assertArrayEquals(framed(BANG), ids[1]);
            // "!" is an added special token of this folder (as in transformers): never merged, always id 0
            assertArrayEquals(framed(BANG, 8, 5, 9, 9, 26, 17, 14, 10, 12, 9, 20, 0), ids[2]);
            assertArrayEquals(framed(BANG, 14, 10, 30, 0, 0), ids[3]);
            assertEquals("a photo of a dog .", t.decode(ids[0]));
        }
    }

    @Test
    void truncationKeepsEndOfTextLastAndReportsTheCut() throws IOException {
        try (ClipTokenizer t = ClipTokenizer.load(clipL(tmp.resolve("clip_l")))) {
            String longPrompt = "a ".repeat(74) + "photo of a dog";  // 78 tokens, 75 fit
            Tokenization out = t.tokenize(List.of("a dog", longPrompt));
            long[] expected = new long[77];
            expected[0] = BOS;
            Arrays.fill(expected, 1, 75, 19);
            expected[75] = 35;
            expected[76] = EOS;
            assertArrayEquals(expected, out.ids()[1]);
            assertArrayEquals(framed(EOS, 19, 43), out.ids()[0]);
            assertEquals(Map.of(1, "of a dog"), out.truncated());
            assertTrue(out.anyTruncated());
            // exactly 75 tokens fit without a cut
            Tokenization fits = t.tokenize(List.of("a ".repeat(75)));
            assertFalse(fits.anyTruncated());
            assertEquals(EOS, fits.ids()[0][76]);
            assertEquals(19, fits.ids()[0][75]);
        }
        try (ClipTokenizer g = ClipTokenizer.load(clipG(tmp.resolve("clip_g")))) {
            long[] ids = g.encode("dog ".repeat(100));
            assertEquals(77, ids.length);
            assertEquals(BOS, ids[0]);
            assertTrue(LongStream.of(ids).skip(1).limit(75).allMatch(id -> id == 43));
            assertEquals(EOS, ids[76]);
        }
    }

    @Test
    void truncationIsLoggedAsAWarning() throws IOException {
        assumeTrue(LoggerFactory.getILoggerFactory().getClass().getName().startsWith("org.slf4j.simple"),
                "captures slf4j-simple's System.err output");
        assumeTrue(LoggerFactory.getLogger(ClipTokenizer.class).isWarnEnabled());
        try (ClipTokenizer t = ClipTokenizer.load(clipL(tmp.resolve("clip_l")))) {
            String longPrompt = "a ".repeat(74) + "photo of a dog";
            String err = captureStandardError(() -> t.encode(List.of(longPrompt)));
            assertTrue(err.contains("WARN"), err);
            assertTrue(err.contains("The following part of your input was truncated because CLIP can only handle "
                    + "sequences up to 77 tokens: of a dog"), err);
            assertTrue(err.contains(longPrompt), err);
            assertEquals("", captureStandardError(() -> t.encode(List.of("a dog"))));
        }
    }

    static String captureStandardError(Runnable action) {
        PrintStream saved = System.err;
        ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        System.setErr(new PrintStream(buffer, true, StandardCharsets.UTF_8));
        try {
            action.run();
        } finally {
            System.setErr(saved);
        }
        return buffer.toString(StandardCharsets.UTF_8);
    }

    @Test
    void aSavedTokenizerJsonGivesTheSameIds() throws IOException {
        Path slow = clipG(tmp.resolve("slow"));
        Path fast = Files.createDirectories(tmp.resolve("fast"));
        Files.writeString(fast.resolve("tokenizer.json"), ClipTokenizer.buildTokenizerJson(slow));
        Files.copy(slow.resolve("special_tokens_map.json"), fast.resolve("special_tokens_map.json"));
        List<String> prompts = List.of("A  Photo\tof a DOG.", "photography", "hello, world!", "wow!!", "");
        try (ClipTokenizer a = ClipTokenizer.load(slow); ClipTokenizer b = ClipTokenizer.load(fast)) {
            long[][] x = a.encode(prompts);
            long[][] y = b.encode(prompts);
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(x[i], y[i], prompts.get(i));
            }
            assertEquals(BANG, b.padId());
        }
        // without the folder's files the pad token is CLIPTokenizer's default, <|endoftext|>
        Files.delete(fast.resolve("special_tokens_map.json"));
        try (ClipTokenizer b = ClipTokenizer.load(fast)) {
            assertEquals(EOS, b.padId());
            assertArrayEquals(framed(EOS, 37, 41), b.encode("photography"));
        }
    }

    @Test
    void theConvertedJsonHasTheConvertersStructure() throws IOException {
        String json = ClipTokenizer.buildTokenizerJson(clipL(tmp.resolve("clip_l")));
        var root = TokenizerFiles.JSON.readTree(json);
        assertEquals("BPE", root.at("/model/type").asText());
        assertEquals("</w>", root.at("/model/end_of_word_suffix").asText());
        assertEquals("", root.at("/model/continuing_subword_prefix").asText());
        assertEquals("<|endoftext|>", root.at("/model/unk_token").asText());
        assertEquals(MERGES.size(), root.at("/model/merges").size());
        assertEquals("NFC", root.at("/normalizer/normalizers/0/type").asText());
        assertEquals("Lowercase", root.at("/normalizer/normalizers/2/type").asText());
        assertEquals("Split", root.at("/pre_tokenizer/pretokenizers/0/type").asText());
        assertEquals("ByteLevel", root.at("/pre_tokenizer/pretokenizers/1/type").asText());
        assertFalse(root.at("/pre_tokenizer/pretokenizers/1/add_prefix_space").asBoolean());
        assertEquals("RobertaProcessing", root.at("/post_processor/type").asText());
        assertEquals(46, root.at("/post_processor/cls/1").asInt());
        assertEquals(47, root.at("/post_processor/sep/1").asInt());
        assertEquals("ByteLevel", root.at("/decoder/type").asText());
    }

    @Test
    void mergesAreReadLikeTransformers() throws IOException {
        Path f = tmp.resolve("merges.txt");
        Files.writeString(f, "#version: 0.2\r\np h\r\n\r\nph  o\r\n\n");
        assertEquals(List.of("p h", "ph o"), ClipTokenizerJson.readMerges(f));
        Files.writeString(f, "#version: 0.2\np h x\n");
        IOException e = assertThrows(IOException.class, () -> ClipTokenizerJson.readMerges(f));
        assertTrue(e.getMessage().contains("line 2"), e.getMessage());
        List<String> many = new ArrayList<>();
        many.add("#version: 0.2");
        for (int i = 0; i < ClipTokenizerJson.MAX_MERGES + 5; i++) {
            many.add("a" + i + " b");
        }
        Files.write(f, many);
        assertEquals(ClipTokenizerJson.MAX_MERGES, ClipTokenizerJson.readMerges(f).size());
    }

    @Test
    void aFolderWithoutTokenizerFilesIsAClearError() throws IOException {
        Path empty = Files.createDirectories(tmp.resolve("nothing here"));
        FileNotFoundException e = assertThrows(FileNotFoundException.class, () -> ClipTokenizer.load(empty));
        for (String part : List.of(empty.toAbsolutePath().toString(), "tokenizer.json", "vocab.json", "merges.txt")) {
            assertTrue(e.getMessage().contains(part), e.getMessage());
        }
        Files.writeString(empty.resolve("vocab.json"), "{}");
        assertThrows(FileNotFoundException.class, () -> ClipTokenizer.load(empty));
    }
}
