package io.diffrl4j.rewards.geneval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.diffrl4j.core.reward.Prompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.StringReader;
import java.io.StringWriter;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** GenEval's evaluation_metadata.jsonl to and from prompts, in the Shapes world's metadata layout. */
class GenevalMetadataTest {
    /** One line per tag, as GenEval's own file writes them (key order and missing exclude included). */
    private static final String GENEVAL_LINES = """
            {"tag": "single_object", "include": [{"class": "bench", "count": 1}], "prompt": "a photo of a bench"}
            {"tag": "two_object", "include": [{"class": "toilet", "count": 1}, {"class": "knife", "count": 1}], "prompt": "a photo of a toilet and a knife"}
            {"tag": "counting", "include": [{"class": "clock", "count": 2}], "exclude": [{"class": "clock", "count": 3}], "prompt": "a photo of two clocks"}

            {"tag": "colors", "include": [{"class": "cup", "count": 1, "color": "pink"}], "prompt": "a photo of a pink cup"}
            {"tag": "position", "include": [{"class": "dog", "count": 1}, {"class": "bench", "count": 1, "position": ["right of", 0]}], "prompt": "a photo of a bench right of a dog"}
            {"tag": "color_attr", "include": [{"class": "car", "count": 1, "color": "red"}, {"class": "cat", "count": 1, "color": "blue"}], "prompt": "a photo of a red car and a blue cat"}
            """;

    @Test
    void readsGenEvalsOwnLinesIntoTheShapesLayout() throws IOException {
        List<Prompt> prompts = GenEvalMetadata.read(new BufferedReader(new StringReader(GENEVAL_LINES)), "evaluation_metadata.jsonl");
        assertEquals(6, prompts.size(), "the blank line is skipped");
        assertEquals(GenEvalMetadata.TAGS, prompts.stream().map(p -> p.metadata().get("tag")).toList());
        Prompt position = prompts.get(4);
        assertEquals("a photo of a bench right of a dog", position.text());
        assertEquals(Map.of(
                "tag", "position",
                "prompt", "a photo of a bench right of a dog",
                "include", List.of(Map.of("class", "dog", "count", 1),
                        Map.of("class", "bench", "count", 1, "position", List.of("right of", 0))),
                "exclude", List.of()), position.metadata());
        // the exact Java types the Shapes world uses: Integer counts and indices, unmodifiable maps
        Map<?, ?> clause = (Map<?, ?>) ((List<?>) position.metadata().get("include")).get(1);
        assertEquals(Integer.class, clause.get("count").getClass());
        assertEquals(Integer.class, ((List<?>) clause.get("position")).get(1).getClass());
        assertEquals(List.of("class", "count", "position"), List.copyOf(clause.keySet()));
        assertThrows(UnsupportedOperationException.class, () -> ((Map<?, ?>) clause).clear());
        assertEquals(List.of(Map.of("class", "clock", "count", 3)), prompts.get(2).metadata().get("exclude"));
    }

    @Test
    void roundTripsThroughAFile(@TempDir Path dir) throws IOException {
        List<Prompt> prompts = GenEvalMetadata.read(new BufferedReader(new StringReader(GENEVAL_LINES)), "lines");
        Path file = dir.resolve("evaluation_metadata.jsonl");
        GenEvalMetadata.write(prompts, file);
        List<String> lines = Files.readAllLines(file);
        assertEquals(6, lines.size());
        // Python's json.dumps separators, the Shapes layout's key order, exclude always present
        assertEquals("{\"tag\": \"position\", \"prompt\": \"a photo of a bench right of a dog\", \"include\": [{\"class\": \"dog\", "
                + "\"count\": 1}, {\"class\": \"bench\", \"count\": 1, \"position\": [\"right of\", 0]}], \"exclude\": []}", lines.get(4));
        List<Prompt> back = GenEvalMetadata.read(file);
        assertEquals(prompts, back);
        StringWriter w = new StringWriter();
        GenEvalMetadata.write(back, w);
        assertEquals(Files.readString(file), w.toString(), "writing is deterministic");
    }

    @Test
    void aBadLineIsNamedByItsNumber() {
        String text = GENEVAL_LINES.lines().limit(2).map(l -> l + "\n").reduce("", String::concat)
                + "{\"tag\": \"counting\", \"include\": [{\"class\": \"clock\", \"count\": 0}], \"prompt\": \"zero clocks\"}\n";
        IOException e = assertThrows(IOException.class,
                () -> GenEvalMetadata.read(new BufferedReader(new StringReader(text)), "meta.jsonl"));
        assertEquals("meta.jsonl line 3: GenEval clause include[0] needs count >= 1, got 0", e.getMessage());

        e = assertThrows(IOException.class,
                () -> GenEvalMetadata.read(new BufferedReader(new StringReader("\n\n{\"tag\": \"colors\",\n")), "meta.jsonl"));
        assertTrue(e.getMessage().startsWith("meta.jsonl line 3: not valid JSON: "), e.getMessage());

        assertLine("[1, 2]", "expected a JSON object, got [1, 2]");
        assertLine("{\"tag\": \"colors\", \"include\": [{\"class\": \"cup\", \"count\": 1}]}", "GenEval metadata needs a string 'prompt', got null");
        assertLine("{\"prompt\": \"p\", \"include\": [{\"class\": \"cup\", \"count\": 1}]}", "GenEval metadata needs a non-empty string 'tag'");
        assertLine("{\"tag\": \"colors\", \"prompt\": \"p\"}", "GenEval metadata 'include' must be a list of clauses, got null");
        assertLine("{\"tag\": \"colors\", \"prompt\": \"p\", \"include\": []}", "needs at least one 'include' clause");
        assertLine("{\"tag\": \"colors\", \"prompt\": \"p\", \"include\": [{\"count\": 1}]}", "include[0] needs a non-empty string 'class'");
        assertLine("{\"tag\": \"colors\", \"prompt\": \"p\", \"include\": [{\"class\": \"cup\", \"count\": 1.5}]}",
                "include[0].count must be an integer, got 1.5");
        assertLine("{\"tag\": \"counting\", \"prompt\": \"p\", \"include\": [{\"class\": \"cup\", \"count\": 4611686018427387904}]}",
                "GenEval clause include[0] asks for too many objects: count 4611686018427387904 (at most 1000; GenEval's prompts ask for 1 to 4)");
        assertLine("{\"tag\": \"counting\", \"prompt\": \"p\", \"include\": [{\"class\": \"cup\", \"count\": 1001}]}",
                "asks for too many objects: count 1001 (at most 1000");
        assertLine("{\"tag\": \"counting\", \"prompt\": \"p\", \"include\": [{\"class\": \"cup\", \"count\": "
                + "1" + "0".repeat(400) + "}]}", "asks for too many objects: count of 1329 bits (at most 1000");
        assertLine("{\"tag\": \"position\", \"prompt\": \"p\", \"include\": [{\"class\": \"a\", \"count\": 1, \"position\": [\"left of\", 0]}]}",
                "include[0]: position index must refer to an earlier include clause (0 to -1), got 0");
        assertLine("{\"tag\": \"position\", \"prompt\": \"p\", \"include\": [{\"class\": \"a\", \"count\": 1}, "
                + "{\"class\": \"b\", \"count\": 1, \"position\": [\"near\", 0]}]}", "relation must be one of [left of, right of, above, below], got 'near'");
        assertLine("{\"tag\": \"colors\", \"tag\": \"counting\"}", "Duplicate field 'tag'");
        assertLine("{\"tag\": \"colors\"} {}", "not valid JSON");
    }

    private static void assertLine(String line, String expected) {
        IOException e = assertThrows(IOException.class,
                () -> GenEvalMetadata.read(new BufferedReader(new StringReader("\n" + line + "\n")), "m.jsonl"));
        assertTrue(e.getMessage().startsWith("m.jsonl line 2: "), e.getMessage());
        assertTrue(e.getMessage().contains(expected), e.getMessage());
    }

    @Test
    void thePromptsMetadataIsWhatTheServerReceives() {
        // the layout PromptGrammar builds (examples module): Integer counts, List.of(relation, index)
        Map<String, Object> reference = new LinkedHashMap<>();
        reference.put("class", "square");
        reference.put("count", 1);
        Map<String, Object> subject = new LinkedHashMap<>();
        subject.put("class", "circle");
        subject.put("count", 1);
        subject.put("position", List.of("left of", 0));
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tag", "position");
        m.put("prompt", "a photo of a circle left of a square");
        m.put("include", List.of(Collections.unmodifiableMap(reference), Collections.unmodifiableMap(subject)));
        m.put("exclude", List.of());
        Prompt p = new Prompt("a photo of a circle left of a square", m);
        Map<String, Object> wire = GenEvalMetadata.metadata(p);
        assertEquals(m, wire);
        assertEquals(List.of("tag", "prompt", "include", "exclude"), List.copyOf(wire.keySet()), "fixed key order on the wire");

        // a prompt whose metadata lacks 'prompt' gets its text; 'exclude' defaults to empty
        Prompt bare = new Prompt("a photo of a cup", Map.of("tag", "single_object", "include", List.of(Map.of("class", "cup", "count", 1))));
        assertEquals("a photo of a cup", GenEvalMetadata.metadata(bare).get("prompt"));
        assertEquals(List.of(), GenEvalMetadata.metadata(bare).get("exclude"));

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> GenEvalMetadata.metadata(Prompt.of("a cat")));
        assertEquals("prompt \"a cat\" has no GenEval metadata (no 'include'): GenEval scores a prompt against its tag and clauses",
                e.getMessage());
        assertFalse(GenEvalMetadata.has(Prompt.of("a cat")));
    }

    @Test
    void metadataFromAPickleIsNormalised() {
        // what SafePickleReader gives for Python's dict: Long/BigInteger ints, tuples as read-only lists, extra keys
        Map<Object, Object> clause = new LinkedHashMap<>();
        clause.put("class", "dog");
        clause.put("count", 2L);
        Map<Object, Object> second = new LinkedHashMap<>();
        second.put("class", "cat");
        second.put("count", BigInteger.ONE);
        second.put("position", Collections.unmodifiableList(List.of("above", 0L)));
        second.put("color", null);
        Map<Object, Object> raw = new LinkedHashMap<>();
        raw.put("prompt", "a photo of a cat above two dogs");
        raw.put("tag", "position");
        raw.put("include", List.of(clause, second));
        raw.put("source", "custom");
        Prompt p = GenEvalMetadata.toPrompt(raw);
        assertEquals(Map.of("tag", "position", "prompt", "a photo of a cat above two dogs",
                "include", List.of(Map.of("class", "dog", "count", 2), Map.of("class", "cat", "count", 1, "position", List.of("above", 0))),
                "exclude", List.of(), "source", "custom"), p.metadata());
        assertEquals("{\"tag\": \"position\", \"prompt\": \"a photo of a cat above two dogs\", \"include\": [{\"class\": \"dog\", "
                + "\"count\": 2}, {\"class\": \"cat\", \"count\": 1, \"position\": [\"above\", 0]}], \"exclude\": [], \"source\": \"custom\"}",
                GenEvalMetadata.toJsonLine(p));
        assertEquals(p, GenEvalMetadata.fromJsonLine(GenEvalMetadata.toJsonLine(p)));
    }
}
