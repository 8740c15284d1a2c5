package io.diffrl4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLIP vision tower against a plain-Java reference, its shared encoder layer, and CLIPModel loading. */
class ClipVisionModelTest {
    private static final ClipVisionConfig CONFIG = TinyClip.VISION;
    private static final String LAYER = "vision_model.encoder.layers.0.";

    private static float[] pixels(int count, long seed) {
        Random r = new Random(seed);
        float[] v = new float[count * 3 * 8 * 8];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) r.nextGaussian();
        }
        return v;
    }

    private static ClipVisionModel load(Map<String, NDArray> weights, Path dir, NDManager m, DataType dtype)
            throws Exception {
        Path file = dir.resolve("vision.safetensors");
        SafetensorsWriter.save(file, weights, Map.of());
        try (WeightSource w = WeightSources.open(file)) {
            return ClipVisionModel.load(CONFIG, w, m, dtype);
        }
    }

    @Test
    void theTowerMatchesAPlainJavaReferenceWithItsShapes(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.visionWeights(CONFIG, m, 11);
            ClipReference reference = new ClipReference(weights, CONFIG);
            float[] px = pixels(2, 5);
            try (ClipVisionModel model = load(weights, dir, m, DataType.FLOAT32);
                    ClipVisionOutput out = model.encode(m.create(px, new Shape(2, 3, 8, 8)), m)) {
                assertEquals(new Shape(2, 5, 8), out.lastHiddenState().getShape());
                assertEquals(new Shape(2, 8), out.pooledOutput().getShape());
                assertEquals(new Shape(2, 6), out.imageEmbeds().getShape());
                assertEquals(DataType.FLOAT32, out.imageEmbeds().getDataType());
                for (int b = 0; b < 2; b++) {
                    double[][] expected = reference.forward(Arrays.copyOfRange(px, b * 192, (b + 1) * 192));
                    // Measured max abs errors: 6.2e-7, 1.5e-7, 2.4e-7 (float32 against doubles).
                    assertClose(expected[0], out.lastHiddenState().get(b).toFloatArray(), 2e-5, "last_hidden_state");
                    assertClose(expected[1], out.pooledOutput().get(b).toFloatArray(), 2e-5, "pooler_output");
                    assertClose(expected[2], out.imageEmbeds().get(b).toFloatArray(), 2e-5, "image_embeds");
                }
            }
        }
    }

    @Test
    void outputsAreDeterministicAndIndependentOfTheBatch(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ClipVisionModel model = load(TinyClip.visionWeights(CONFIG, m, 3), dir, m, DataType.FLOAT32)) {
            NDArray batch = m.create(pixels(3, 9), new Shape(3, 3, 8, 8));
            float[] first = model.encode(batch, m).imageEmbeds().toFloatArray();
            float[] again = model.encode(batch, m).imageEmbeds().toFloatArray();
            assertArrayEquals(first, again, "bit-identical on a second call");
            float[] alone = model.encode(batch.get("1:2"), m).imageEmbeds().toFloatArray();
            assertClose(toDouble(Arrays.copyOfRange(first, 6, 12)), alone, 1e-6, "image 1 alone");
        }
    }

    @Test
    void aVisionLayerIsTheTextLayerWithoutTheCausalMask() {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.visionWeights(CONFIG, m, 21);
            // Both towers' configs give the same layer shape here (width 8, MLP 12, 2 heads).
            ClipEncoderLayer vision = layer(CONFIG.encoder(), weights);
            ClipEncoderLayer text = layer(TinyClip.TEXT.encoder(), weights);
            int t = 5;
            float[] xs = pixels(1, 4);
            NDArray x = m.create(Arrays.copyOf(xs, t * 8), new Shape(1, t, 8));
            float[] unmasked = vision.forward(x, null).toFloatArray();

            double[][] rows = new double[t][8];
            for (int i = 0; i < t; i++) {
                for (int e = 0; e < 8; e++) {
                    rows[i][e] = xs[i * 8 + e];
                }
            }
            double[][] expected = new ClipReference(weights, CONFIG).layer(rows, LAYER);
            // Measured max abs error 7.0e-7.
            assertClose(Arrays.stream(expected).flatMapToDouble(Arrays::stream).toArray(), unmasked, 1e-5, "layer");

            // The text layer with an all-zero mask is the same computation, bit for bit.
            assertArrayEquals(unmasked, text.forward(x, m.zeros(new Shape(1, 1, t, t))).toFloatArray());
            // With the causal mask the last token still sees every token; the first sees only itself.
            float[] causal = text.forward(x, causalMask(m, t)).toFloatArray();
            assertClose(toDouble(Arrays.copyOfRange(unmasked, 32, 40)), Arrays.copyOfRange(causal, 32, 40), 1e-6,
                    "last token");
            double firstDiff = 0;
            for (int e = 0; e < 8; e++) {
                firstDiff = Math.max(firstDiff, Math.abs(unmasked[e] - causal[e]));
            }
            assertTrue(firstDiff > 1e-3, "the mask matters for the first token: " + firstDiff);
        }
    }

    private static ClipEncoderLayer layer(ClipEncoderShape shape, Map<String, NDArray> weights) {
        ClipEncoderLayer layer = new ClipEncoderLayer(shape);
        for (Map.Entry<String, Parameter> p : layer.namedParameters().entrySet()) {
            p.getValue().setArray(weights.get(LAYER + p.getKey()));
        }
        return layer;
    }

    private static NDArray causalMask(NDManager m, int t) {
        float[] mask = new float[t * t];
        for (int i = 0; i < t; i++) {
            Arrays.fill(mask, i * t + i + 1, (i + 1) * t, -Float.MAX_VALUE);
        }
        return m.create(mask, new Shape(1, 1, t, t));
    }

    @Test
    void theClassTokenIsPooledNormalisedAndProjected(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> w = TinyClip.visionWeights(CONFIG, m, 8);
            // Zero attention output and MLP output: each layer is the identity.
            for (String name : new String[] {"self_attn.out_proj.weight", "self_attn.out_proj.bias", "mlp.fc2.weight",
                    "mlp.fc2.bias"}) {
                w.put(LAYER + name, m.zeros(w.get(LAYER + name).getShape()));
            }
            w.put("vision_model.embeddings.class_embedding", m.arange(1f, 9f)); // 1..8
            NDArray pos = w.get("vision_model.embeddings.position_embedding.weight");
            pos.set(new NDIndex("0"), 0f);
            w.put("vision_model.pre_layrnorm.weight", m.ones(new Shape(8)));
            w.put("vision_model.pre_layrnorm.bias", m.zeros(new Shape(8)));
            w.put("vision_model.post_layernorm.weight", m.full(new Shape(8), 2f));
            w.put("vision_model.post_layernorm.bias", m.full(new Shape(8), 0.5f));
            float[] firstSix = new float[6 * 8];
            for (int k = 0; k < 6; k++) {
                firstSix[k * 8 + k] = 1;
            }
            w.put("visual_projection.weight", m.create(firstSix, new Shape(6, 8)));
            try (ClipVisionModel model = load(w, dir, m, DataType.FLOAT32)) {
                // 1..8 has mean 4.5 and variance 5.25: the pre-norm gives n_k = (k - 4.5) / sqrt(5.25 + eps),
                // whose variance is 5.25 / (5.25 + eps); the post-norm divides by the root of that plus eps,
                // then x 2 + 0.5. For k = 1..6: -2.5550, -1.6821, -0.8093, 0.0636, 0.9364, 1.8093.
                double eps = 1e-5;
                double[] normed = new double[8];
                double[] expected = new double[6];
                for (int k = 1; k <= 8; k++) {
                    normed[k - 1] = (k - 4.5) / Math.sqrt(5.25 + eps);
                }
                for (int k = 1; k <= 6; k++) {
                    expected[k - 1] = 2 * normed[k - 1] / Math.sqrt(5.25 / (5.25 + eps) + eps) + 0.5;
                }
                assertEquals(-2.5550, expected[0], 1e-4);
                assertEquals(1.8093, expected[5], 1e-4);
                for (long seed : new long[] {1, 2}) {
                    ClipVisionOutput out = model.encode(m.create(pixels(1, seed), new Shape(1, 3, 8, 8)), m);
                    // The patches do not reach the pooled output when the layers are the identity.
                    assertClose(expected, out.imageEmbeds().toFloatArray(), 2e-6, "image_embeds, image " + seed);
                    assertClose(normed, out.lastHiddenState().get(new NDIndex("0, 0")).toFloatArray(), 2e-6,
                            "class token of last_hidden_state");
                }
            }
        }
    }

    @Test
    void aClipModelFolderLoadsBothTowersAndTheLogitScale(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.clipWeights(m, 40);
            Path folder = TinyClip.writeClipModel(dir.resolve("clip"), weights);
            // The text tower alone, from its own file: the CLIPModel's text tower must equal it.
            Map<String, NDArray> textOnly = new LinkedHashMap<>();
            weights.forEach((k, v) -> {
                if (k.startsWith("text_")) {
                    textOnly.put(k, v);
                }
            });
            Path textFile = dir.resolve("text.safetensors");
            SafetensorsWriter.save(textFile, textOnly, Map.of());
            NDArray ids = m.create(new long[][] {{46, 5, 9, 47, 47, 47, 47}});
            NDArray px = m.create(pixels(2, 7), new Shape(2, 3, 8, 8));
            try (ClipModel clip = ClipModel.load(folder, m, DataType.FLOAT32);
                    WeightSource ws = WeightSources.open(textFile);
                    ClipTextModel text = ClipTextModel.load(TinyClip.TEXT, ws, m, DataType.FLOAT32);
                    ClipVisionModel vision = ClipModel.loadVision(folder, m, DataType.FLOAT32)) {
                assertEquals(2.5, clip.logitScale(), 0);
                // The top-level projection_dim (6) wins over the sub-configs' 99.
                assertEquals(6, clip.text().config().projectionDim());
                assertEquals(6, clip.vision().config().projectionDim());
                assertArrayEquals(text.encode(ids, m).textEmbeds().toFloatArray(),
                        clip.text().encode(ids, m).textEmbeds().toFloatArray());
                assertArrayEquals(clip.vision().encode(px, m).imageEmbeds().toFloatArray(),
                        vision.encode(px, m).imageEmbeds().toFloatArray());
            }

            // The same checkpoint sharded: an index and two files.
            Path sharded = Files.createDirectories(dir.resolve("sharded"));
            Files.writeString(sharded.resolve("config.json"), TinyClip.clipConfig().toPrettyString());
            Map<String, NDArray> visionPart = new LinkedHashMap<>(weights);
            visionPart.keySet().removeAll(textOnly.keySet());
            SafetensorsWriter.save(sharded.resolve("model-00001-of-00002.safetensors"), textOnly, Map.of());
            SafetensorsWriter.save(sharded.resolve("model-00002-of-00002.safetensors"), visionPart, Map.of());
            StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
            weights.keySet().forEach(k -> index.append('"').append(k).append("\": \"model-0000")
                    .append(textOnly.containsKey(k) ? 1 : 2).append("-of-00002.safetensors\","));
            index.setLength(index.length() - 1);
            Files.writeString(sharded.resolve("model.safetensors.index.json"), index.append("}}").toString());
            try (ClipModel whole = ClipModel.load(folder, m, DataType.FLOAT32);
                    ClipModel shards = ClipModel.load(sharded, m, DataType.FLOAT32)) {
                assertArrayEquals(whole.vision().encode(px, m).imageEmbeds().toFloatArray(),
                        shards.vision().encode(px, m).imageEmbeds().toFloatArray());
                assertEquals(2.5, shards.logitScale(), 0);
            }
        }
    }

    @Test
    void mismatchesAreNamed(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.visionWeights(CONFIG, m, 1);
            weights.remove("visual_projection.weight");
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> load(weights, dir, m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the CLIP vision model config: 1 missing [visual_projection.weight], "
                    + "0 unexpected []", e.getMessage());

            Map<String, NDArray> wrong = TinyClip.visionWeights(CONFIG, m, 1);
            wrong.put("vision_model.embeddings.patch_embedding.weight", m.zeros(new Shape(8, 3, 2, 2)));
            // An older checkpoint's buffer is accepted.
            wrong.put("vision_model.embeddings.position_ids", m.arange(5).toType(DataType.INT64, false).reshape(1, 5));
            e = assertThrows(IllegalArgumentException.class, () -> load(wrong, dir, m, DataType.FLOAT32));
            assertEquals("weight vision_model.embeddings.patch_embedding.weight has shape (8, 3, 2, 2), the config "
                    + "needs (8, 3, 4, 4)", e.getMessage());

            Map<String, NDArray> extra = TinyClip.clipWeights(m, 2);
            extra.put("temperature", m.create(1f));
            Path folder = TinyClip.writeClipModel(dir.resolve("clip"), extra);
            e = assertThrows(IllegalArgumentException.class, () -> ClipModel.load(folder, m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the CLIP model config: 0 missing [], 1 unexpected [temperature]",
                    e.getMessage());

            ObjectNode bad = TinyClip.clipConfig();
            ((ObjectNode) bad.get("vision_config")).put("patch_size", 16);
            Files.writeString(folder.resolve("config.json"), bad.toString());
            e = assertThrows(IllegalArgumentException.class, () -> ClipModel.loadVision(folder, m, DataType.FLOAT32));
            assertEquals("CLIP config " + folder.resolve("config.json") + ": image_size = 8: must be at least "
                    + "patch_size (16)", e.getMessage());
            try (ClipVisionModel model = load(TinyClip.visionWeights(CONFIG, m, 1), dir, m, DataType.FLOAT32)) {
                e = assertThrows(IllegalArgumentException.class, () -> model.encode(m.zeros(new Shape(1, 3, 9, 8)), m));
                assertEquals("pixel values must be (B, 3, 8, 8) with B >= 1, got (1, 3, 9, 8)", e.getMessage());
            }
        }
    }

    @Test
    void intermediatesAreFreedAndHalfPrecisionStaysClose(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Map<String, NDArray> weights = TinyClip.visionWeights(CONFIG, m, 6);
            NDArray px = m.create(pixels(2, 3), new Shape(2, 3, 8, 8));
            try (ClipVisionModel model = load(weights, dir, m, DataType.FLOAT32);
                    ClipVisionModel half = load(weights, dir, m, DataType.FLOAT16)) {
                int before = m.getManagedArrays().size();
                float[] full;
                try (NDManager caller = m.newSubManager();
                        GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                    ClipVisionOutput out = model.encode(px, caller);
                    assertEquals(3, caller.getManagedArrays().size());
                    assertSame(caller, out.imageEmbeds().getManager());
                    assertFalse(out.imageEmbeds().hasGradient(), "nothing recorded, even inside a collector");
                    full = out.imageEmbeds().toFloatArray();
                }
                assertEquals(before, m.getManagedArrays().size());
                NDArray h = half.encode(px, m).imageEmbeds();
                assertEquals(DataType.FLOAT32, h.getDataType());
                // fp16 keeps 11 significant bits; measured max error 1.9e-3 on values of order 1.
                assertClose(toDouble(full), h.toFloatArray(), 2e-2, "fp16 image_embeds");
            }
        }
    }

    private static double[] toDouble(float[] f) {
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    private static void assertClose(double[] expected, float[] actual, double tolerance, String what) {
        assertEquals(expected.length, actual.length, what + " length");
        double err = 0;
        for (int i = 0; i < expected.length; i++) {
            err = Math.max(err, Math.abs(expected[i] - actual[i]));
        }
        assertTrue(err <= tolerance, what + " max abs error " + err);
    }
}
