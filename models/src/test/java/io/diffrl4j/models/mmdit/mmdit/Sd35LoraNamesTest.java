package io.diffrl4j.models.mmdit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.diffrl4j.core.adapter.AdapterFiles;
import io.diffrl4j.core.adapter.AdapterSet;
import io.diffrl4j.core.adapter.Adapters;
import io.diffrl4j.core.adapter.LoraConfig;
import io.diffrl4j.core.flow.SeededNoise;
import io.diffrl4j.models.nn.LoraLinear;
import io.diffrl4j.core.testing.Fixtures;
import io.diffrl4j.core.weights.SafetensorsReader;
import io.diffrl4j.core.weights.TensorInfo;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The LoRA files of an SD3.5-Medium adapter name exactly the real model's modules
 * ({@code sd35m_keys.json}) with shapes that fit them: {@code transformer.<module>.lora_A.weight}
 * (r x in) for diffusers, {@code base_model.model.<module>.lora_A.weight} for PEFT.
 */
class Sd35LoraNamesTest {
    @TempDir
    Path tmp;

    @Test
    void exportedNamesAreTheRealModulesWithFittingShapes() throws Exception {
        JsonNode keys = new ObjectMapper().readTree(Fixtures.file("sd35m_keys.json").toFile()).get("transformer");
        LoraConfig lora = LoraConfig.builder().optRank(2).optAlpha(4).build();
        Map<String, long[]> shapes = new LinkedHashMap<>();
        new Mmdit(MmditConfig.sd35Medium()).visitModules((path, block) -> {
            if (block instanceof LoraLinear l && lora.targets(path)) {
                shapes.put(path, new long[] {l.inFeatures(), l.outFeatures()});
            }
        });
        // the real model's 2-D weights whose module is a LoRA target
        Set<String> expected = new TreeSet<>();
        keys.fields().forEachRemaining(e -> {
            String k = e.getKey();
            if (k.endsWith(".weight") && e.getValue().size() == 2 && lora.targets(k.substring(0, k.length() - 7))) {
                expected.add(k.substring(0, k.length() - 7));
            }
        });
        assertEquals(expected, new TreeSet<>(shapes.keySet()));
        // 24 joint blocks x 8, less the last block's to_add_out; attn2 of the dual-attention blocks is not adapted
        assertEquals(24 * 8 - 1, expected.size());
        try (NDManager m = NDManager.newBaseManager(); Adapters adapters = new Adapters(lora, shapes, m)) {
            AdapterSet set = adapters.create("policy", true, new SeededNoise(1));
            for (AdapterFiles.Format format : AdapterFiles.Format.values()) {
                Path dir = tmp.resolve(format.name());
                AdapterFiles.save(set, lora, dir, format);
                String prefix = format == AdapterFiles.Format.PEFT ? "base_model.model." : "transformer.";
                try (SafetensorsReader r = new SafetensorsReader(dir.resolve(format.fileName()))) {
                    assertEquals(2 * expected.size(), r.names().size());
                    for (String module : expected) {
                        JsonNode w = keys.get(module + ".weight");
                        TensorInfo a = r.info(prefix + module + ".lora_A.weight");
                        TensorInfo b = r.info(prefix + module + ".lora_B.weight");
                        assertEquals(new ai.djl.ndarray.types.Shape(2, w.get(1).asLong()), a.shape(), module);
                        assertEquals(new ai.djl.ndarray.types.Shape(w.get(0).asLong(), 2), b.shape(), module);
                    }
                }
            }
            assertTrue(expected.contains("transformer_blocks.0.attn.to_q"));
            assertTrue(expected.stream().noneMatch(k -> k.contains("attn2")));
        }
    }
}
