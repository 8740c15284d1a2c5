package io.diffrl4j.models.sd3;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * A pipeline's {@code model_index.json}: which components it has and their classes, e.g.
 * {@code "transformer": ["diffusers", "SD3Transformer2DModel"]}. A component given as
 * {@code [null, null]} is absent (diffusers' way of saving a pipeline without T5).
 *
 * @param file the file read
 * @param pipelineClass {@code _class_name}, e.g. {@code StableDiffusion3Pipeline}
 * @param components component name to its class name, only the components present, in file order
 */
public record ModelIndex(Path file, String pipelineClass, Map<String, String> components) {
    /** File name inside a pipeline folder. */
    public static final String FILE_NAME = "model_index.json";

    /** Copies the map. */
    public ModelIndex {
        components = Collections.unmodifiableMap(new LinkedHashMap<>(components));
    }

    /**
     * @param folder a diffusers pipeline folder
     * @return its index
     * @throws NoSuchFileException when the folder has no {@code model_index.json}
     * @throws IOException naming the file when it is not JSON or its entries are malformed
     */
    public static ModelIndex read(Path folder) throws IOException {
        Path file = folder.resolve(FILE_NAME);
        if (!Files.isRegularFile(file)) {
            throw new NoSuchFileException(file.toString(), null,
                    "not a diffusers pipeline folder: no " + FILE_NAME + " (expected the layout of stable-diffusion-3.5-medium)");
        }
        JsonNode root;
        try {
            root = new ObjectMapper().readTree(Files.readString(file));
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(file + " must hold a JSON object");
        }
        Map<String, String> components = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> e : (Iterable<Map.Entry<String, JsonNode>>) root::fields) {
            if (e.getKey().startsWith("_")) {
                continue;
            }
            JsonNode v = e.getValue();
            if (!v.isArray() || v.size() != 2) {
                throw new IOException(file + ": component \"" + e.getKey() + "\" must be [library, class], got " + v);
            }
            if (v.get(1).isNull()) {
                continue;
            }
            components.put(e.getKey(), v.get(1).asText());
        }
        return new ModelIndex(file, root.path("_class_name").asText(""), components);
    }

    /** @param component e.g. {@code text_encoder_3} @return whether the pipeline has it */
    public boolean has(String component) {
        return components.containsKey(component);
    }

    /**
     * @param component a component the pipeline must have
     * @return its class name
     * @throws IllegalArgumentException naming the file and the component when it is absent
     */
    public String require(String component) {
        String c = components.get(component);
        if (c == null) {
            throw new IllegalArgumentException(file + " has no component \"" + component + "\" (it lists "
                    + components.keySet() + ")");
        }
        return c;
    }
}
