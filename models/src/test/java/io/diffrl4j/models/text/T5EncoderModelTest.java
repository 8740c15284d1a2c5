package io.diffrl4j.models.text;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.nio.file.Path;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The T5 encoder against transformers on the sd3-tiny fixture, and its relative position buckets. */
class T5EncoderModelTest {
    private static final JsonNode REFERENCE = TextFixtures.json("t5.json");
    private static final T5Config CONFIG = T5Config.fromJson(REFERENCE.get("config"));
    private static final String FILE = "t5.safetensors";

    private static T5EncoderModel load(T5Config config, Path weights, NDManager m, DataType dtype) throws Exception {
        try (WeightSource w = WeightSources.open(weights)) {
            return T5EncoderModel.load(config, w, m, dtype);
        }
    }

    /** @return the max abs error of the model on the fixture's ids */
    private static double error(T5EncoderModel model, NDManager m) {
        NDArray ids = TextFixtures.array(m, REFERENCE.get("input_ids"), DataType.INT64);
        NDArray out = model.encode(ids, m);
        NDArray expected = TextFixtures.array(m, REFERENCE.get("last_hidden_state"), DataType.FLOAT32);
        assertEquals(expected.getShape(), out.getShape());
        assertEquals(DataType.FLOAT32, out.getDataType());
        return TextFixtures.maxAbs(out, expected);
    }

    @Test
    void matchesTransformersOnTheFixture() throws Exception {
        // "gated-gelu" means the tanh GELU, gated.
        assertEquals("gelu_new", CONFIG.denseActFn());
        assertTrue(CONFIG.gatedAct());
        try (NDManager m = NDManager.newBaseManager();
                T5EncoderModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT32)) {
            double err = error(model, m);
            // Measured: 6.0e-8 (outputs up to 0.52), padded positions included.
            assertTrue(err <= 1e-4, "last_hidden_state max abs error " + err);
        }
    }

    @Test
    void halfPrecisionKeepsWoInFloat32AndStaysClose() throws Exception {
        try (NDManager m = NDManager.newBaseManager();
                T5EncoderModel model = load(CONFIG, TextFixtures.weights(FILE), m, DataType.FLOAT16)) {
            Map<String, Parameter> params = model.network().namedParameters();
            assertEquals(DataType.FLOAT32, params.get("encoder.block.1.layer.1.DenseReluDense.wo.weight").getArray().getDataType());
            assertEquals(DataType.FLOAT16, params.get("encoder.block.1.layer.1.DenseReluDense.wi_0.weight").getArray().getDataType());
            double err = error(model, m);
            // Measured: 5.4e-4.
            assertTrue(err <= 2e-3, "last_hidden_state max abs error " + err);
        }
    }

    @Test
    void aCheckpointWithTheTiedEmbeddingNameLoadsTheSame(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path renamed = TextFixtures.editedCopy(FILE, dir, m, w -> w.put("encoder.embed_tokens.weight",
                    w.remove("shared.weight")));
            try (T5EncoderModel model = load(CONFIG, renamed, m, DataType.FLOAT32)) {
                assertTrue(error(model, m) <= 1e-4);
            }
            Path both = TextFixtures.editedCopy(FILE, dir, m, w -> w.put("encoder.embed_tokens.weight",
                    w.get("shared.weight").duplicate()));
            try (T5EncoderModel model = load(CONFIG, both, m, DataType.FLOAT32)) {
                assertTrue(error(model, m) <= 1e-4);
            }
        }
    }

    @Test
    void relativePositionBucketsAreTransformers() {
        // Per direction 16 buckets: distances 0..7 exact, then log-spaced up to 128 (transformers'
        // table for num_buckets 32, max_distance 128; the boundaries 16, 32, 64 open a bucket).
        int[][] ranges = {{8, 11}, {12, 15}, {16, 22}, {23, 31}, {32, 45}, {46, 63}, {64, 90}, {91, 199}};
        long[] byDistance = new long[200];
        for (int d = 0; d < 8; d++) {
            byDistance[d] = d;
        }
        for (int b = 0; b < ranges.length; b++) {
            for (int d = ranges[b][0]; d <= ranges[b][1]; d++) {
                byDistance[d] = 8 + b;
            }
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray buckets = new T5Network(CONFIG).relativeBuckets(m, 200, 200);
            assertEquals(new Shape(200, 200), buckets.getShape());
            long[] keysAfter = new long[200];
            long[] keysBefore = new long[200];
            for (int j = 0; j < 200; j++) {
                // Query 0: key j is j ahead (the upper half of the buckets, except distance 0).
                keysAfter[j] = j == 0 ? 0 : 16 + byDistance[j];
                // Query 199: key j is 199 - j behind.
                keysBefore[j] = byDistance[199 - j];
            }
            assertArrayEquals(keysAfter, buckets.get(0).toLongArray());
            assertArrayEquals(keysBefore, buckets.get(199).toLongArray());
            assertEquals(16 + 10, buckets.getLong(50, 66), "depends on key minus query only");
        }
    }

    @Test
    void mismatchesAreNamed(@TempDir Path dir) throws Exception {
        try (NDManager m = NDManager.newBaseManager()) {
            Path noBias = TextFixtures.editedCopy(FILE, dir, m,
                    w -> w.remove("encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight"));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                    () -> load(CONFIG, noBias, m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the T5 encoder config: 1 missing "
                    + "[encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight], 0 unexpected []",
                    e.getMessage());

            // A non-gated config needs "wi" where the checkpoint has "wi_0" and "wi_1".
            ObjectNode relu = REFERENCE.get("config").deepCopy();
            relu.put("feed_forward_proj", "relu").remove(java.util.List.of("dense_act_fn", "is_gated_act"));
            e = assertThrows(IllegalArgumentException.class,
                    () -> load(T5Config.fromJson(relu), TextFixtures.weights(FILE), m, DataType.FLOAT32));
            assertEquals("checkpoint does not match the T5 encoder config: 2 missing "
                    + "[encoder.block.0.layer.1.DenseReluDense.wi.weight, encoder.block.1.layer.1.DenseReluDense.wi.weight], "
                    + "4 unexpected [encoder.block.0.layer.1.DenseReluDense.wi_0.weight, "
                    + "encoder.block.0.layer.1.DenseReluDense.wi_1.weight, encoder.block.1.layer.1.DenseReluDense.wi_0.weight, "
                    + "encoder.block.1.layer.1.DenseReluDense.wi_1.weight]", e.getMessage());

            ObjectNode moreBuckets = REFERENCE.get("config").deepCopy();
            moreBuckets.put("relative_attention_num_buckets", 64);
            e = assertThrows(IllegalArgumentException.class,
                    () -> load(T5Config.fromJson(moreBuckets), TextFixtures.weights(FILE), m, DataType.FLOAT32));
            assertEquals("weight encoder.block.0.layer.0.SelfAttention.relative_attention_bias.weight has shape (32, 4), "
                    + "the config needs (64, 4)", e.getMessage());
        }
    }

    @Test
    void badConfigsNameTheField() {
        ObjectNode n = REFERENCE.get("config").deepCopy();
        n.put("feed_forward_proj", "double-gelu");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> T5Config.fromJson(n));
        assertTrue(e.getMessage().startsWith("feed_forward_proj = \"double-gelu\": must be"), e.getMessage());
        ObjectNode few = REFERENCE.get("config").deepCopy();
        few.put("relative_attention_num_buckets", 2);
        e = assertThrows(IllegalArgumentException.class, () -> T5Config.fromJson(few));
        assertEquals("relative_attention_num_buckets = 2: must be at least 4", e.getMessage());
    }
}
