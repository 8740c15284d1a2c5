package io.diffrl4j.models.sd3;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import io.diffrl4j.core.model.Conditioning;
import io.diffrl4j.models.testing.TinySd3Folder;
import io.diffrl4j.models.text.ClipTextModel;
import io.diffrl4j.models.text.ClipTextOutput;
import io.diffrl4j.models.text.T5EncoderModel;
import io.diffrl4j.models.text.tokenizer.ClipTokenizer;
import io.diffrl4j.models.text.tokenizer.T5Tokenizer;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** SD3's prompt assembly from the three encoders, the per-prompt cache, and releasing the encoders. */
class Sd3PromptEncoderTest {
    static final List<String> PROMPTS = List.of("a photo of a dog", "Photography, HDR!", "dog");

    @TempDir
    static Path tmp;
    static StableDiffusion3Folder folder;

    @BeforeAll
    static void writeFolder() throws Exception {
        folder = StableDiffusion3Folder.open(TinySd3Folder.write(tmp.resolve("sd"), 5));
    }

    @Test
    void embeddingsAreClipLAndClipGPaddedToT5WidthAboveT5AndPooledSideBySide() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Sd3PromptEncoder enc = Sd3PromptEncoder.builder(folder).build(m)) {
            Conditioning c = enc.encode(PROMPTS, m);
            assertEquals(new Shape(3, 333, 32), c.sequence().getShape());
            assertEquals(new Shape(3, 24), c.pooled().getShape());
            try (ClipTokenizer tl = folder.loadClipTokenizer("tokenizer");
                    ClipTokenizer tg = folder.loadClipTokenizer("tokenizer_2");
                    T5Tokenizer tt = folder.loadT5Tokenizer(256);
                    ClipTextModel l = folder.loadClip("text_encoder", m, DataType.FLOAT32);
                    ClipTextModel g = folder.loadClip("text_encoder_2", m, DataType.FLOAT32);
                    T5EncoderModel t5 = folder.loadT5(m)) {
                // the two CLIP tokenizers pad differently, so their padded rows differ
                assertNotEquals(tl.padId(), tg.padId());
                ClipTextOutput ol = l.encode(ids(m, tl.encode(PROMPTS)), m);
                ClipTextOutput og = g.encode(ids(m, tg.encode(PROMPTS)), m);
                NDArray ot = t5.encode(ids(m, tt.encode(PROMPTS)), m);
                NDArray seq = c.sequence();
                assertExact(ol.penultimate(), seq.get(new NDIndex(":, 0:77, 0:8")));
                assertExact(og.penultimate(), seq.get(new NDIndex(":, 0:77, 8:20")));
                assertEquals(0f, seq.get(new NDIndex(":, 0:77, 20:32")).abs().max().getFloat());
                assertExact(ot, seq.get(new NDIndex(":, 77:333, :")));
                assertExact(ol.textEmbeds(), c.pooled().get(new NDIndex(":, 0:12")));
                assertExact(og.textEmbeds(), c.pooled().get(new NDIndex(":, 12:24")));
            }
        }
    }

    @Test
    void eachPromptIsEncodedOnceAndReleasedEncodersReloadOnlyForNewPrompts() throws Exception {
        try (NDManager m = NDManager.newBaseManager(); Sd3PromptEncoder enc = Sd3PromptEncoder.builder(folder).build(m)) {
            assertFalse(enc.encodersLoaded());
            float[] first;
            try (NDManager epoch = m.newSubManager()) {
                first = enc.encode(PROMPTS, epoch).sequence().toFloatArray();
                enc.unconditional(3, epoch);
            }
            assertEquals(4, enc.encodedPrompts()); // three prompts and the empty one
            assertEquals(1, enc.encoderLoads());
            enc.releaseEncoders();
            assertFalse(enc.encodersLoaded());
            try (NDManager epoch = m.newSubManager()) {
                Conditioning again = enc.encode(List.of(PROMPTS.get(2), PROMPTS.get(0), PROMPTS.get(1)), epoch);
                enc.unconditional(3, epoch);
                assertEquals(4, enc.encodedPrompts()); // second epoch: nothing encoded, nothing loaded
                assertEquals(1, enc.encoderLoads());
                assertArrayEquals(java.util.Arrays.copyOfRange(first, 0, 333 * 32),
                        again.sequence().get(1).toFloatArray());
            }
            try (NDManager epoch = m.newSubManager()) {
                enc.encode(List.of("a new prompt"), epoch);
            }
            assertEquals(5, enc.encodedPrompts());
            assertEquals(2, enc.encoderLoads());
            assertEquals(5, enc.cachedPrompts());
        }
    }

    @Test
    void theLeastRecentlyUsedPromptLeavesABoundedCache() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                Sd3PromptEncoder enc = Sd3PromptEncoder.builder(folder).optMaxCachedPrompts(2).build(m)) {
            for (String p : List.of("dog", "a dog", "dog", "photo", "a dog")) {
                try (NDManager s = m.newSubManager()) {
                    enc.encode(List.of(p), s);
                }
            }
            // dog, a dog, (dog cached), photo evicts "a dog", which is encoded again
            assertEquals(4, enc.encodedPrompts());
            assertEquals(2, enc.cachedPrompts());
        }
    }

    @Test
    void halfPrecisionCacheRoundsTheFloatEmbeddings() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                Sd3PromptEncoder full = Sd3PromptEncoder.builder(folder).build(m);
                Sd3PromptEncoder half = Sd3PromptEncoder.builder(folder).optCacheDtype(DataType.FLOAT16).build(m)) {
            NDArray a = full.encode(PROMPTS, m).sequence();
            NDArray b = half.encode(PROMPTS, m).sequence();
            assertEquals(DataType.FLOAT16, b.getDataType());
            assertExact(a.toType(DataType.FLOAT16, false).toType(DataType.FLOAT32, false), b.toType(DataType.FLOAT32, false));
        }
    }

    @Test
    void withoutT5ItsRowsAreZerosAsInDiffusers() throws Exception {
        Path dir = TinySd3Folder.write(tmp.resolve("no-t5"), 5);
        java.nio.file.Files.writeString(dir.resolve("model_index.json"), TinySd3Folder.MODEL_INDEX
                .replace("[\"transformers\", \"T5EncoderModel\"]", "[null, null]")
                .replace("[\"transformers\", \"T5TokenizerFast\"]", "[null, null]"));
        StableDiffusion3Folder noT5 = StableDiffusion3Folder.open(dir);
        try (NDManager m = NDManager.newBaseManager();
                Sd3PromptEncoder without = Sd3PromptEncoder.builder(noT5).build(m);
                Sd3PromptEncoder with = Sd3PromptEncoder.builder(folder).build(m)) {
            NDArray a = without.encode(PROMPTS, m).sequence();
            NDArray b = with.encode(PROMPTS, m).sequence();
            assertEquals(new Shape(3, 333, 32), a.getShape());
            assertEquals(0f, a.get(new NDIndex(":, 77:, :")).abs().max().getFloat());
            assertExact(b.get(new NDIndex(":, 0:77, :")), a.get(new NDIndex(":, 0:77, :")));
        }
    }

    @Test
    void badOptionsAreNamed() {
        try (NDManager m = NDManager.newBaseManager()) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> Sd3PromptEncoder.builder(folder).optCacheDtype(DataType.INT32).build(m));
            assertEquals("prompt encoding runs in FLOAT32 or FLOAT16, not int32", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> Sd3PromptEncoder.builder(folder).optMaxSequenceLength(0).build(m));
            assertTrue(e.getMessage().startsWith("maxSequenceLength"), e.getMessage());
        }
    }

    private static NDArray ids(NDManager m, long[][] rows) {
        long[] flat = new long[rows.length * rows[0].length];
        for (int i = 0; i < rows.length; i++) {
            System.arraycopy(rows[i], 0, flat, i * rows[0].length, rows[0].length);
        }
        return m.create(flat, new Shape(rows.length, rows[0].length)).duplicate();
    }

    private static void assertExact(NDArray expected, NDArray actual) {
        assertEquals(expected.getShape(), actual.getShape());
        assertArrayEquals(expected.toFloatArray(), actual.toFloatArray());
    }
}
