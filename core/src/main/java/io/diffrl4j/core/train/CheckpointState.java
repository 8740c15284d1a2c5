package io.diffrl4j.core.train;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.regex.Pattern;

/**
 * A checkpoint's {@code state.json}, read and checked field by field: every refusal names the file
 * and the field, so a hand-edited or truncated state never reaches the trainer as a
 * {@code NullPointerException} or a silent default.
 *
 * @param format the format version
 * @param epoch completed epochs
 * @param globalStep optimizer steps taken
 * @param runId the run's identity, kept across resumes
 * @param method the method's name
 * @param config the trainer's config as written
 * @param lora the adapters' layout ({@code r}, {@code lora_alpha}, {@code modules})
 * @param adapterSets the adapter sets saved, in order
 * @param strategies each stateful strategy's state by its key ({@code stateKey()})
 */
record CheckpointState(int format, int epoch, long globalStep, String runId, String method, ObjectNode config,
        ObjectNode lora, List<String> adapterSets, Map<String, Map<String, Double>> strategies) {
    static final String FILE = "state.json";
    /** An adapter set's name is a folder name: no separators, no leading dot, nothing to escape the checkpoint. */
    static final Pattern SET_NAME = Pattern.compile("[A-Za-z0-9_][A-Za-z0-9_.\\-]{0,63}");

    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param file the state file (for messages)
     * @param n its parsed content
     * @param supported the format this version reads
     * @return the checked state
     * @throws IOException naming the file and the first field that is missing or wrong
     */
    static CheckpointState parse(Path file, JsonNode n, int supported) throws IOException {
        if (!n.isObject()) {
            throw new IOException(file + " is not a JSON object");
        }
        int format = (int) integer(file, n, "format", 1, Integer.MAX_VALUE);
        if (format != supported) {
            throw new IOException(file + " has format " + format + (format < supported
                    ? " (written before checkpoints carried checksums and a run identity)" : " (written by a newer version)")
                    + "; this version of DiffRL4J reads format " + supported
                    + " only: resume with the version that wrote it, or start a new run from its adapters");
        }
        int epoch = (int) integer(file, n, "epoch", 0, Integer.MAX_VALUE);
        long step = integer(file, n, "global_step", 0, Long.MAX_VALUE);
        String runId = text(file, n, "run_id");
        String method = text(file, n, "method");
        ObjectNode config = object(file, n, "config");
        ObjectNode lora = object(file, n, "lora");
        integer(file, lora, "r", 1, Integer.MAX_VALUE);
        if (!lora.path("lora_alpha").isNumber()) {
            throw new IOException(file + ": 'lora.lora_alpha' must be a number, got " + lora.path("lora_alpha"));
        }
        object(file, lora, "modules");
        List<String> sets = new ArrayList<>();
        for (JsonNode s : array(file, n, "adapter_sets")) {
            if (!s.isTextual() || !SET_NAME.matcher(s.asText()).matches()) {
                throw new IOException(file + ": adapter set name " + s + " is not a plain folder name "
                        + "(letters, digits, '_', '.', '-'; no leading dot or separator)");
            }
            if (sets.contains(s.asText())) {
                throw new IOException(file + ": adapter set '" + s.asText() + "' is listed twice");
            }
            sets.add(s.asText());
        }
        return new CheckpointState(format, epoch, step, runId, method, config, lora, List.copyOf(sets),
                states(file, n, "strategies"));
    }

    /** @return the numbers of {@code n}'s fields (the checkpoint form of a strategy's state) */
    static ObjectNode toJson(Map<String, Double> state) {
        return JSON.valueToTree(state);
    }

    private static Map<String, Map<String, Double>> states(Path file, JsonNode n, String field) throws IOException {
        Map<String, Map<String, Double>> out = new LinkedHashMap<>();
        for (var strategies = object(file, n, field).fields(); strategies.hasNext();) {
            var strategy = strategies.next();
            String at = field + "." + strategy.getKey();
            if (!strategy.getValue().isObject()) {
                throw new IOException(file + ": '" + at + "' must be an object of numbers, got " + strategy.getValue());
            }
            Map<String, Double> values = new LinkedHashMap<>();
            for (var it = strategy.getValue().fields(); it.hasNext();) {
                var e = it.next();
                JsonNode v = e.getValue();
                // Jackson writes NaN and infinities as strings; accept those, nothing else that is not a number.
                boolean special = v.isTextual() && (v.asText().equals("NaN") || v.asText().equals("Infinity")
                        || v.asText().equals("-Infinity"));
                if (!v.isNumber() && !special) {
                    throw new IOException(file + ": '" + at + "." + e.getKey() + "' must be a number, got " + v);
                }
                values.put(e.getKey(), v.asDouble());
            }
            out.put(strategy.getKey(), values);
        }
        return out;
    }

    private static long integer(Path file, JsonNode n, String field, long min, long max) throws IOException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IOException(file + " lacks '" + field + "'");
        }
        if (!v.isIntegralNumber() || !v.canConvertToLong() || v.asLong() < min || v.asLong() > max) {
            throw new IOException(file + ": '" + field + "' must be an integer in [" + min + ", " + max + "], got " + v);
        }
        return v.asLong();
    }

    private static String text(Path file, JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IOException(file + " lacks '" + field + "'");
        }
        if (!v.isTextual() || v.asText().isEmpty()) {
            throw new IOException(file + ": '" + field + "' must be a non-empty string, got " + v);
        }
        return v.asText();
    }

    private static ObjectNode object(Path file, JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IOException(file + " lacks '" + field + "'");
        }
        if (!v.isObject()) {
            throw new IOException(file + ": '" + field + "' must be an object, got " + v.getNodeType());
        }
        return (ObjectNode) v;
    }

    private static JsonNode array(Path file, JsonNode n, String field) throws IOException {
        JsonNode v = n.get(field);
        if (v == null) {
            throw new IOException(file + " lacks '" + field + "'");
        }
        if (!v.isArray()) {
            throw new IOException(file + ": '" + field + "' must be an array, got " + v.getNodeType());
        }
        return v;
    }
}
