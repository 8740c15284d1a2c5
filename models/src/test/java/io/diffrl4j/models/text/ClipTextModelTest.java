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
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLIP text model with projection against transformers on the sd3-tiny fixture, and its rules. */
class ClipTextModelTest {
    private static final JsonNode REFERENCE = TextFixtures.json("clip_l.json");
    private static final ClipTextConfig CONFIG = ClipTextConfig.fromJson(REFERENCE.get("config"));
    private static final String FILE = "clip_l.safetensors";

    private static ClipTextModel load(ClipTextConfig config, Path weights, NDManager m, DataType dtype)
            throws Exception {
        try (WeightSource w = WeightSources.open(weights)) {
            return ClipTextModel.load(config, w, m, dtype);
        }
    }

    private static ClipTextConfig with(String field, int value) {
        ObjectNode n = REFERENCE.get("config").deepCopy();
        n.put(field, value);
        return ClipTextConfig.fromJson(n);
    }

    private static NDArray referenceIds(NDManager m) {
        return TextFixtures.array(m, REFERENCE.get("input_ids"), DataType.INT64);
    }

    @Test
    void matchesTransformersOnTheFixture() throws Exception {
        assertEquals("quick_gelu", CONFIG.hiddenAct());
        assertEquals(98, CONFIG.eosTokenId());
        try (NDManager m = NDManager.newBaseManager();
                ClipTextModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT32)) {
            NDArray ids = referenceIds(m);
            // The first EOS (98) of each row.
            assertArrayEquals(new long[] {4, 2}, model.pooledPositions(ids));
            try (ClipTextOutput out = model.encode(ids, m)) {
                // Measured max abs errors: penultimate 6.0e-8, last_hidden_state 1.2e-7, text_embeds 3.0e-8.
                assertMatches(m, "penultimate", out.penultimate(), 1e-4);
                assertMatches(m, "last_hidden_state", out.lastHiddenState(), 1e-4);
                assertMatches(m, "text_embeds", out.textEmbeds(), 1e-4);
            }
        }
    }

    @Test
    void halfPrecisionWeightsStayCloseAndOutputFloat32() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ClipTextModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT16)) {
            try (ClipTextOutput out = model.encode(referenceIds(m), m)) {
                // Measured: text_embeds 1.6e-4, penultimate 4.9e-4 (fp16 has 11 significant bits).
                assertMatches(m, "text_embeds", out.textEmbeds(), 2e-3);
                assertMatches(m, "penultimate", out.penultimate(), 2e-3);
                assertMatches(m, "last_hidden_state", out.lastHiddenState(), 2e-3);
            }
        }
    }

    private static void assertMatches(NDManager m, String name, NDArray ours, double tolerance) {
        NDArray expected = TextFixtures.array(m, REFERENCE.get(name), DataType.FLOAT32);
        assertEquals(expected.getShape(), ours.getShape(), name);
        assertEquals(DataType.FLOAT32, ours.getDataType(), name);
        double err = TextFixtures.maxAbs(ours, expected);
        assertTrue(err <= tolerance, name + " max abs error " + err);
    }

    @Test
    void legacyEosIdTwoPoolsAtTheLargestIdAndOthersAtTheFirstEos() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                WeightSource w = WeightSources.open(TextFixtures.weights(FILE))) {
            NDArray ids = m.create(new long[][] {{5, 2, 17, 96, 3, 0}, {2, 9, 2, 0, 0, 0}});
            NDArray projection = w.read("text_projection.weight", m, DataType.FLOAT32);
            try (ClipTextModel legacy = ClipTextModel.load(with("eos_token_id", 2), w, m, DataType.FLOAT32);
                    ClipTextModel byId = ClipTextModel.load(with("eos_token_id", 17), w, m, DataType.FLOAT32)) {
                assertTrue(legacy.config().legacyEos());
                // argmax(ids): 96 at 3 and 9 at 1, not the first 2 (at 1 and 0).
                assertArrayEquals(new long[] {3, 1}, legacy.pooledPositions(ids));
                // The first 17; a row without one pools position 0, as transformers does.
                assertArrayEquals(new long[] {2, 0}, byId.pooledPositions(ids));
                try (ClipTextOutput out = legacy.encode(ids, m)) {
                    long[] at = {3, 1};
                    for (int b = 0; b < 2; b++) {
                        NDArray pooled = out.lastHiddenState().get(new NDIndex("{}, {}", b, at[b]));
                        NDArray expected = projection.matMul(pooled.reshape(-1, 1)).reshape(-1);
                        double err = TextFixtures.maxAbs(out.textEmbeds().get(b), expected);
                        assertTrue(err < 1e-6, "row " + b + " error " + err);
                    }
                }
            }
        }
    }

    @Test
    void theMlpActivationComesFromTheConfig() {
        double[] x = {1, -1, 2};
        // Exact GELU x * Phi(x), Phi from tables: Phi(1) = 0.8413447461, Phi(2) = 0.9772498681.
        double[] gelu = {0.8413447461, -(1 - 0.8413447461), 2 * 0.9772498681};
        Map<String, double[]> expected = Map.of(
                "gelu", gelu,
                "quick_gelu", map(x, v -> v / (1 + Math.exp(-1.702 * v))),
                "gelu_new", map(x, v -> 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v * v * v)))));
        try (NDManager m = NDManager.newBaseManager()) {
            for (Map.Entry<String, double[]> e : expected.entrySet()) {
                // One feature through identity fc1 and fc2: the MLP's output is the activation.
                ClipMlp mlp = new ClipMlp(new ClipTextConfig(10, 1, 1, 1, 1, 1, 77, e.getKey(), 1e-5, 2).encoder());
                for (Map.Entry<String, Parameter> p : mlp.namedParameters().entrySet()) {
                    boolean weight = p.getKey().endsWith("weight");
                    p.getValue().setArray(weight ? m.ones(new Shape(1, 1)) : m.zeros(new Shape(1)));
                }
                float[] out = mlp.forward(m.create(new float[] {1, -1, 2}, new Shape(1, 3, 1))).toFloatArray();
                for (int i = 0; i < 3; i++) {
                    assertEquals(e.getValue()[i], out[i], 1e-6, e.getKey() + "(" + x[i] + ")");
                }
            }
        }
        // The variants differ by far more than the tolerance: 0.8413 (gelu) vs 0.8458 (quick_gelu) at 1.
        assertTrue(Math.abs(gelu[0] - expected.get("quick_gelu")[0]) > 4e-3);
    }

    private static double[] map(double[] x, java.util.function.DoubleUnaryOperator f) {
        return java.util.Arrays.stream(x).map(f).toArray();
    }

    @Test
    void missingAndUnexpectedTensorsAreNamed(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path missing = TextFixtures.editedCopy(FILE, dir, m,
                    w -> w.remove("text_model.encoder.layers.1.mlp.fc2.bias"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> load(CONFIG, missing, m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the CLIP text model config: 1 missing "
                    + "[text_model.encoder.layers.1.mlp.fc2.bias], 0 unexpected []", e.getMessage());

            Path extra = TextFixtures.editedCopy(FILE, dir, m, w -> {
                w.put("text_model.encoder.layers.3.mlp.fc1.bias", m.zeros(new Shape(37)));
                // A buffer older transformers versions saved: not a parameter, and accepted.
                w.put("text_model.embeddings.position_ids", m.arange(77).toType(DataType.INT64, false).reshape(1, 77));
            });
            e = assertThrows(IllegalArgumentException.class, () -> load(CONFIG, extra, m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the CLIP text model config: 0 missing [], 1 unexpected "
                    + "[text_model.encoder.layers.3.mlp.fc1.bias]", e.getMessage());

            // A config with one layer fewer: the checkpoint's last layer is unexpected, all of it listed.
            e = assertThrows(IllegalArgumentException.class,
                    () -> load(with("num_hidden_layers", 2), TextFixtures.weights(FILE), m, DataType.FLOAT32));
            assertTrue(e.getMessage().contains("16 unexpected [text_model.encoder.layers.2.layer_norm1.bias, "),
                    e.getMessage());
        }
    }

    @Test
    void wrongShapesAreNamedWithFoundAndNeeded(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path wrong = TextFixtures.editedCopy(FILE, dir, m,
                    w -> w.put("text_projection.weight", m.zeros(new Shape(25, 32))));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> load(CONFIG, wrong, m, DataType.FLOAT32));
            assertEquals("weight text_projection.weight has shape (25, 32), the config needs (24, 32)", e.getMessage());

            // Every mismatch at once: fc1's weight and bias and fc2's weight in each of the 3 layers.
            e = assertThrows(IllegalArgumentException.class,
                    () -> load(with("intermediate_size", 40), TextFixtures.weights(FILE), m, DataType.FLOAT32));
            assertTrue(e.getMessage().startsWith("9 weights have the wrong shape: weight "
                    + "text_model.encoder.layers.0.mlp.fc1.weight has shape (37, 32), the config needs (40, 32); "),
                    e.getMessage());
        }
    }

    @Test
    void intermediatesAreFreedAndOutputsBelongToTheCallersManager() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ClipTextModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT32)) {
            NDArray ids = referenceIds(m);
            long[] given = ids.toLongArray();
            int before = m.getManagedArrays().size(); // recursive: weights, ids
            try (NDManager caller = m.newSubManager();
                    GradientCollector collector = Engine.getInstance().newGradientCollector()) {
                ClipTextOutput out = model.encode(ids, caller);
                assertEquals(3, caller.getManagedArrays().size());
                assertSame(caller, out.penultimate().getManager());
                assertEquals(before + 3, m.getManagedArrays().size());
                assertFalse(out.textEmbeds().hasGradient(), "nothing recorded, even inside a collector");
            }
            assertEquals(before, m.getManagedArrays().size());
            assertArrayEquals(given, ids.toLongArray(), "the ids are not modified");
        }
    }

    @Test
    void badIdsAndConfigsAreRefusedWithTheReason() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                ClipTextModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT32)) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> model.encode(m.create(new long[][] {{97, 99, 98}}), m));
            assertEquals("token id 99 is outside the vocabulary [0, 99)", e.getMessage());
            e = assertThrows(IllegalArgumentException.class, () -> model.encode(m.zeros(new Shape(1, 78), DataType.INT64), m));
            assertEquals("sequence length 78 exceeds the model's maximum 77", e.getMessage());
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> with("num_attention_heads", 5));
        assertEquals("num_attention_heads = 5: must divide hidden_size (32)", e.getMessage());
        ObjectNode n = REFERENCE.get("config").deepCopy();
        n.put("hidden_act", "swish");
        e = assertThrows(IllegalArgumentException.class, () -> ClipTextConfig.fromJson(n));
        assertTrue(e.getMessage().startsWith("hidden_act = \"swish\": must be one of [gelu, "), e.getMessage());
    }
}
