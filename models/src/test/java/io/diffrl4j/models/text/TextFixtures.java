package io.diffrl4j.models.text;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.SafetensorsWriter;
import io.diffrl4j.core.weights.WeightSource;
import io.diffrl4j.core.weights.WeightSources;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/** Reads the sd3-tiny text-encoder fixtures (JSON references, safetensors weights) for the tests. */
final class TextFixtures {
    private TextFixtures() {}

    /** @param name e.g. "clip_l.json" @return the parsed JSON */
    static JsonNode json(String name) {
        try {
            return new ObjectMapper().readTree(Files.readString(Fixtures.file("sd3-tiny/" + name)));
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    /** @return the weights file of the fixture, e.g. "clip_l.safetensors" */
    static Path weights(String name) {
        return Fixtures.file("sd3-tiny/" + name);
    }

    /** @return a nested JSON array of numbers as an array of its shape and the given type */
    static NDArray array(NDManager m, JsonNode nested, DataType type) {
        List<Long> dims = new ArrayList<>();
        for (JsonNode n = nested; n.isArray(); n = n.get(0)) {
            dims.add((long) n.size());
        }
        List<Double> flat = new ArrayList<>();
        flatten(nested, flat);
        float[] values = new float[flat.size()];
        for (int i = 0; i < values.length; i++) {
            values[i] = flat.get(i).floatValue();
        }
        Shape shape = new Shape(dims.stream().mapToLong(Long::longValue).toArray());
        return m.create(values, shape).toType(type, false);
    }

    private static void flatten(JsonNode n, List<Double> out) {
        if (n.isArray()) {
            n.forEach(c -> flatten(c, out));
        } else {
            out.add(n.doubleValue());
        }
    }

    /** @return max |a - b| */
    static double maxAbs(NDArray a, NDArray b) {
        return a.sub(b).abs().max().getFloat();
    }

    /**
     * Writes a copy of a fixture checkpoint after {@code edit} changed its name-to-tensor map.
     *
     * @return the new file under {@code dir}
     */
    static Path editedCopy(String name, Path dir, NDManager m, Consumer<Map<String, NDArray>> edit) throws IOException {
        try (WeightSource source = WeightSources.open(weights(name))) {
            Map<String, NDArray> all = source.readAll(m, DataType.FLOAT32);
            edit.accept(all);
            Path out = dir.resolve("edited-" + name);
            SafetensorsWriter.save(out, all, Map.of("format", "pt"));
            return out;
        }
    }
}
