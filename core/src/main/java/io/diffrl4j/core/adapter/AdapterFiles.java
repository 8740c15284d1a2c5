package io.diffrl4j.core.adapter;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.weights.SafetensorsReader;
import io.diffrl4j.core.weights.SafetensorsWriter;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * Reads and writes adapter sets in the LoRA file formats other tools use (docs/SD35.md):
 *
 * <ul>
 *   <li>{@link Format#PEFT}: a folder with {@code adapter_config.json} and {@code
 *       adapter_model.safetensors}, keys {@code base_model.model.<module>.lora_A.weight} (what
 *       Flow-GRPO, DiffusionNFT and GARDO checkpoints are);
 *   <li>{@link Format#DIFFUSERS}: {@code pytorch_lora_weights.safetensors} with keys {@code
 *       transformer.<module>.lora_A.weight} (what {@code pipe.load_lora_weights} reads).
 * </ul>
 *
 * Weights are stored in fp32, so a save/load round trip is bit-exact. Files are written
 * atomically: an interrupted save leaves the previous files intact.
 */
public final class AdapterFiles {
    /** The on-disk layouts. */
    public enum Format {
        /** PEFT adapter folder. */
        PEFT("adapter_model.safetensors", "base_model.model."),
        /** diffusers LoRA weights file. */
        DIFFUSERS("pytorch_lora_weights.safetensors", "transformer.");

        private final String fileName;
        private final String prefix;

        Format(String fileName, String prefix) {
            this.fileName = fileName;
            this.prefix = prefix;
        }

        /** @return the weights file name inside the folder */
        public String fileName() {
            return fileName;
        }
    }

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String CONFIG = "adapter_config.json";

    private AdapterFiles() {}

    /**
     * @param set the set to save
     * @param config its rank, alpha and targets
     * @param dir the folder (created if needed)
     * @param format the layout
     * @throws IOException when writing fails
     */
    public static void save(AdapterSet set, LoraConfig config, Path dir, Format format) throws IOException {
        Files.createDirectories(dir);
        Map<String, NDArray> tensors = new LinkedHashMap<>();
        for (String module : set.modules()) {
            LoraWeights w = set.get(module);
            tensors.put(format.prefix + module + ".lora_A.weight", w.down());
            tensors.put(format.prefix + module + ".lora_B.weight", w.up());
        }
        SafetensorsWriter.save(dir.resolve(format.fileName), tensors, Map.of("format", "pt"));
        ObjectNode c = JSON.createObjectNode();
        c.put("peft_type", "LORA");
        c.put("r", config.rank());
        c.put("lora_alpha", config.alpha());
        c.putPOJO("target_modules", config.targetModules());
        c.put("init_lora_weights", "gaussian");
        c.put("bias", "none");
        writeAtomically(dir.resolve(CONFIG), JSON.writerWithDefaultPrettyPrinter().writeValueAsString(c));
    }

    /**
     * Loads a set saved by this class, PEFT or diffusers, into a registry under a new name.
     *
     * @param adapters the registry (its LoRA rank and alpha must match the files')
     * @param name the new set's name
     * @param dir the folder holding one of the two layouts
     * @param trainable whether the set takes gradients
     * @return the new set
     * @throws IOException when the files cannot be read
     * @throws IllegalArgumentException when the files do not match the model's adapters
     */
    public static AdapterSet load(Adapters adapters, String name, Path dir, boolean trainable) throws IOException {
        Format format = Files.exists(dir.resolve(Format.PEFT.fileName)) ? Format.PEFT
                : Files.exists(dir.resolve(Format.DIFFUSERS.fileName)) ? Format.DIFFUSERS : null;
        if (format == null) {
            throw new IOException("no LoRA weights in " + dir + ": expected " + Format.PEFT.fileName + " or "
                    + Format.DIFFUSERS.fileName);
        }
        checkConfig(adapters.config(), dir.resolve(CONFIG));
        try (NDManager scratch = NDManager.newBaseManager(adapters.device());
                SafetensorsReader reader = new SafetensorsReader(dir.resolve(format.fileName))) {
            Map<String, LoraWeights> weights = new LinkedHashMap<>();
            for (String key : reader.names()) {
                if (!key.startsWith(format.prefix) || !key.endsWith(".lora_A.weight")) {
                    continue;
                }
                String module = key.substring(format.prefix.length(), key.length() - ".lora_A.weight".length());
                String up = format.prefix + module + ".lora_B.weight";
                if (!reader.contains(up)) {
                    throw new IllegalArgumentException("LoRA file " + dir.resolve(format.fileName) + " has " + key
                            + " but no " + up);
                }
                weights.put(module, new LoraWeights(reader.read(key, scratch, DataType.FLOAT32),
                        reader.read(up, scratch, DataType.FLOAT32)));
            }
            return adapters.adopt(name, weights, trainable);
        }
    }

    private static void checkConfig(LoraConfig want, Path file) throws IOException {
        if (!Files.exists(file)) {
            return; // diffusers files carry no config; shapes are still checked on adoption
        }
        JsonNode c;
        try {
            c = JSON.readTree(file.toFile());
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IOException("adapter config " + file + " is not valid JSON: " + e.getOriginalMessage(), e);
        }
        int r = c.path("r").asInt(-1);
        double alpha = c.path("lora_alpha").asDouble(Double.NaN);
        if (r != want.rank() || alpha != want.alpha()) {
            throw new IllegalArgumentException("adapter " + file + " has r=" + r + ", lora_alpha=" + alpha
                    + " but the model's adapters use r=" + want.rank() + ", lora_alpha=" + want.alpha());
        }
    }

    private static void writeAtomically(Path target, String text) throws IOException {
        Path tmp = Files.createTempFile(target.getParent(), "." + target.getFileName(), ".tmp");
        try {
            Files.write(tmp, text.getBytes(StandardCharsets.UTF_8));
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } finally {
            Files.deleteIfExists(tmp);
        }
    }
}
