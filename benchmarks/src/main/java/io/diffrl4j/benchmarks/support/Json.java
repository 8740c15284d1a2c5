package io.diffrl4j.benchmarks.support;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Reads and writes the benchmarks' JSON result files (pretty-printed, so that a diff of two runs reads well). */
public final class Json {
    /** The shared mapper. */
    public static final ObjectMapper MAPPER = new ObjectMapper();

    private Json() {}

    /**
     * @param file destination (parent folders are created)
     * @param node the content
     * @throws IOException when writing fails
     */
    public static void write(Path file, JsonNode node) throws IOException {
        if (file.getParent() != null) {
            Files.createDirectories(file.getParent());
        }
        Files.writeString(file, MAPPER.writerWithDefaultPrettyPrinter().writeValueAsString(node) + "\n");
    }

    /** @param file a JSON file @return its tree @throws IOException when it cannot be read */
    public static JsonNode read(Path file) throws IOException {
        return MAPPER.readTree(Files.readString(file));
    }
}
