package io.diffrl4j.models.text;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.function.Function;

/** Reading and validating transformers {@code config.json} fields for the encoder configs. */
final class ConfigJson {
    private static final ObjectMapper JSON = new ObjectMapper();

    private ConfigJson() {}

    /** Parses a config file; messages name the file and, for a bad value, the field. */
    static <T> T read(Path file, String what, Function<JsonNode, T> parse) throws IOException {
        return parse(file, what, tree(file, what), parse);
    }

    /** @return the file's JSON tree @throws IOException naming the file when it is unreadable or not JSON */
    static JsonNode tree(Path file, String what) throws IOException {
        try {
            return JSON.readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read " + what + " config " + file + ": " + e.getMessage(), e);
        }
    }

    /** Parses (part of) a file's tree; a bad value's message names the file and the field. */
    static <T> T parse(Path file, String what, JsonNode n, Function<JsonNode, T> parse) {
        try {
            return parse.apply(n);
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException(what + " config " + file + ": " + e.getMessage(), e);
        }
    }

    /** @return the integer field, or {@code fallback} when absent or null */
    static int intField(JsonNode n, String field, int fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.canConvertToInt() || !v.isIntegralNumber()) {
            throw new IllegalArgumentException(field + " must be an integer, got " + v);
        }
        return v.intValue();
    }

    /** @return the number field, or {@code fallback} when absent or null */
    static double doubleField(JsonNode n, String field, double fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.isNumber()) {
            throw new IllegalArgumentException(field + " must be a number, got " + v);
        }
        return v.doubleValue();
    }

    /** @return the string field, or {@code fallback} when absent or null */
    static String textField(JsonNode n, String field, String fallback) {
        JsonNode v = n.path(field);
        if (v.isMissingNode() || v.isNull()) {
            return fallback;
        }
        if (!v.isTextual()) {
            throw new IllegalArgumentException(field + " must be a string, got " + v);
        }
        return v.textValue();
    }

    /** Fails with "FIELD = VALUE: must be RANGE" unless {@code value >= min}. */
    static void atLeast(String field, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(field + " = " + value + ": must be at least " + min);
        }
    }

    /** Fails unless {@code value} is finite and positive. */
    static void positive(String field, double value) {
        if (!(value > 0) || Double.isInfinite(value)) {
            throw new IllegalArgumentException(field + " = " + value + ": must be finite and > 0");
        }
    }
}
