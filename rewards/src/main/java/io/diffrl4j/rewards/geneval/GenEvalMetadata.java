package io.diffrl4j.rewards.geneval;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.util.MinimalPrettyPrinter;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import io.diffrl4j.core.reward.Prompt;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.Writer;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * GenEval's prompt metadata: the {@code evaluation_metadata.jsonl} file (one JSON object per
 * line) to and from {@link Prompt}s, and the validated plain-data form a GenEval reward server
 * receives.
 *
 * <p>A prompt's metadata map has exactly the layout of the Shapes world's prompts: {@code tag}
 * (String), {@code prompt} (String), {@code include} (a non-empty list of clauses),
 * {@code exclude} (a list of clauses, empty when the line has none), then any other keys of the
 * line unchanged. A clause is a map of {@code class} (String), {@code count} (Integer, at least
 * 1), optional {@code color} (String) and, in include clauses only, optional {@code position}
 * ({@code List.of(relation, Integer index)}: one of {@link #RELATIONS}, relative to an earlier
 * include clause), then any other keys. Maps and lists are unmodifiable. The prompt's text is the
 * line's {@code prompt}.
 *
 * <p>Lines are written as Python's {@code json.dumps} writes them ({@code ", "} and {@code ": "}
 * separators) in that key order, UTF-8. Blank lines are skipped when reading; a bad line fails the
 * read with its line number. Stateless and thread-safe.
 */
public final class GenEvalMetadata {
    /** GenEval's task tags, in GenEval's order. */
    public static final List<String> TAGS =
            List.of("single_object", "two_object", "counting", "colors", "position", "color_attr");
    /** The relations of GenEval's position clauses. */
    public static final List<String> RELATIONS = List.of("left of", "right of", "above", "below");

    private static final List<String> METADATA_KEYS = List.of("tag", "prompt", "include", "exclude");
    private static final List<String> CLAUSE_KEYS = List.of("class", "count", "color", "position");

    /** The largest object count a clause may ask for: far above GenEval's 4, far below anything that costs. */
    public static final int MAX_COUNT = 1000;

    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);
    private static final ObjectWriter LINE = JSON.writer(new PythonSeparators());

    private GenEvalMetadata() {}

    /**
     * @param file an {@code evaluation_metadata.jsonl} file (UTF-8)
     * @return one prompt per non-blank line, in file order
     * @throws IOException when the file cannot be read, or naming the first bad line
     */
    public static List<Prompt> read(Path file) throws IOException {
        try (BufferedReader in = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            return read(in, file.toString());
        }
    }

    /**
     * @param in JSON lines (not closed)
     * @param source what to call the input in messages (e.g. its file name)
     * @return one prompt per non-blank line, in order
     * @throws IOException when reading fails, or naming the first bad line
     */
    public static List<Prompt> read(BufferedReader in, String source) throws IOException {
        List<Prompt> out = new ArrayList<>();
        int lineNumber = 0;
        String line;
        while ((line = in.readLine()) != null) {
            lineNumber++;
            if (line.isBlank()) {
                continue;
            }
            try {
                out.add(fromJsonLine(line));
            } catch (IllegalArgumentException e) {
                throw new IOException(source + " line " + lineNumber + ": " + e.getMessage(), e);
            }
        }
        return List.copyOf(out);
    }

    /**
     * @param prompts prompts with GenEval metadata
     * @param file written (replaced) as UTF-8, one line per prompt
     * @throws IOException when writing fails
     * @throws IllegalArgumentException naming the first prompt without valid GenEval metadata
     *     (nothing is written then)
     */
    public static void write(List<Prompt> prompts, Path file) throws IOException {
        String text = toJsonLines(prompts);
        Files.writeString(file, text, StandardCharsets.UTF_8);
    }

    /**
     * @param prompts prompts with GenEval metadata
     * @param out where the lines go (not closed)
     * @throws IOException when writing fails
     * @throws IllegalArgumentException naming the first prompt without valid GenEval metadata
     *     (nothing is written then)
     */
    public static void write(List<Prompt> prompts, Writer out) throws IOException {
        out.write(toJsonLines(prompts));
    }

    private static String toJsonLines(List<Prompt> prompts) {
        StringBuilder sb = new StringBuilder();
        for (Prompt p : prompts) {
            sb.append(toJsonLine(p)).append('\n');
        }
        return sb.toString();
    }

    /**
     * @param prompt a prompt with GenEval metadata
     * @return its metadata as one JSON line, without the line break
     * @throws IllegalArgumentException when the prompt has no valid GenEval metadata
     */
    public static String toJsonLine(Prompt prompt) {
        try {
            return LINE.writeValueAsString(metadata(prompt));
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("prompt \"" + prompt.text() + "\": its metadata cannot be written as JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /**
     * @param line one JSON object in GenEval's format
     * @return the prompt (text = the object's {@code prompt})
     * @throws IllegalArgumentException when the line is not such an object
     */
    public static Prompt fromJsonLine(String line) {
        Object parsed;
        try {
            parsed = JSON.readValue(line, Object.class);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("not valid JSON: " + e.getOriginalMessage(), e);
        }
        if (!(parsed instanceof Map<?, ?> map)) {
            throw new IllegalArgumentException("expected a JSON object, got " + line.strip());
        }
        return toPrompt(map);
    }

    /**
     * @param metadata GenEval metadata as plain data (from JSON or from a pickle: any integral
     *     Number for counts and indices, lists or tuples)
     * @return a prompt whose text is the metadata's {@code prompt} and whose metadata is the
     *     validated, normalised map
     * @throws IllegalArgumentException naming what is missing or malformed
     */
    public static Prompt toPrompt(Map<?, ?> metadata) {
        if (!(metadata.get("prompt") instanceof String text)) {
            throw new IllegalArgumentException("GenEval metadata needs a string 'prompt', got " + metadata.get("prompt"));
        }
        return new Prompt(text, normalise(metadata, text));
    }

    /** @param prompt a prompt @return true when it carries GenEval metadata (an {@code include} key) */
    public static boolean has(Prompt prompt) {
        return prompt.metadata().containsKey("include");
    }

    /**
     * @param prompt a prompt with GenEval metadata ({@code prompt} defaults to the prompt's text)
     * @return its validated metadata in the layout above, keys in that order: what a GenEval
     *     server receives as the prompt's {@code meta_data}
     * @throws IllegalArgumentException when the prompt has no GenEval metadata or it is malformed
     */
    public static Map<String, Object> metadata(Prompt prompt) {
        if (!has(prompt)) {
            throw new IllegalArgumentException("prompt \"" + prompt.text()
                    + "\" has no GenEval metadata (no 'include'): GenEval scores a prompt against its tag and clauses");
        }
        try {
            return normalise(prompt.metadata(), prompt.text());
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("prompt \"" + prompt.text() + "\": " + e.getMessage(), e);
        }
    }

    private static Map<String, Object> normalise(Map<?, ?> raw, String defaultPrompt) {
        if (!(raw.get("tag") instanceof String tag) || tag.isBlank()) {
            throw new IllegalArgumentException("GenEval metadata needs a non-empty string 'tag' (one of " + TAGS + "), got "
                    + raw.get("tag"));
        }
        Object prompt = raw.get("prompt") == null ? defaultPrompt : raw.get("prompt");
        if (!(prompt instanceof String)) {
            throw new IllegalArgumentException("GenEval metadata 'prompt' must be a string, got " + prompt);
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("tag", tag);
        m.put("prompt", prompt);
        List<Map<String, Object>> include = clauses(raw.get("include"), "include");
        if (include.isEmpty()) {
            throw new IllegalArgumentException("GenEval metadata needs at least one 'include' clause");
        }
        m.put("include", include);
        m.put("exclude", raw.get("exclude") == null ? List.of() : clauses(raw.get("exclude"), "exclude"));
        copyOthers(raw, m, METADATA_KEYS);
        return Collections.unmodifiableMap(m);
    }

    private static List<Map<String, Object>> clauses(Object raw, String key) {
        if (!(raw instanceof List<?> list)) {
            throw new IllegalArgumentException("GenEval metadata '" + key + "' must be a list of clauses, got " + raw);
        }
        List<Map<String, Object>> out = new ArrayList<>();
        for (Object o : list) {
            String where = key + "[" + out.size() + "]";
            if (!(o instanceof Map<?, ?> c)) {
                throw new IllegalArgumentException("GenEval clause " + where + " must be an object, got " + o);
            }
            if (!(c.get("class") instanceof String cls) || cls.isBlank()) {
                throw new IllegalArgumentException("GenEval clause " + where + " needs a non-empty string 'class', got " + c);
            }
            Object n = c.get("count");
            if (n instanceof BigInteger big && big.bitLength() >= 63 || n instanceof Number num && !(n instanceof Double)
                    && !(n instanceof Float) && num.longValue() > MAX_COUNT) {
                throw new IllegalArgumentException("GenEval clause " + where + " asks for too many objects: count "
                        + (n instanceof BigInteger big && big.bitLength() >= 64 ? "of " + big.bitLength() + " bits" : n)
                        + " (at most " + MAX_COUNT + "; GenEval's prompts ask for 1 to 4)");
            }
            int count = integer(n, where + ".count");
            if (count < 1) {
                throw new IllegalArgumentException("GenEval clause " + where + " needs count >= 1, got " + count);
            }
            Map<String, Object> m = new LinkedHashMap<>();
            m.put("class", cls);
            m.put("count", count);
            Object colour = c.get("color");
            if (colour != null) {
                if (!(colour instanceof String s) || s.isBlank()) {
                    throw new IllegalArgumentException("GenEval clause " + where + ": 'color' must be a non-empty string, got " + colour);
                }
                m.put("color", colour);
            }
            Object position = c.get("position");
            if (position != null) {
                if (!key.equals("include")) {
                    throw new IllegalArgumentException("GenEval clause " + where + ": only include clauses have a position");
                }
                m.put("position", position(position, where, out.size()));
            }
            copyOthers(c, m, CLAUSE_KEYS);
            out.add(Collections.unmodifiableMap(m));
        }
        return List.copyOf(out);
    }

    private static List<Object> position(Object raw, String where, int clauseIndex) {
        if (!(raw instanceof List<?> p) || p.size() != 2 || !(p.get(0) instanceof String relation)) {
            throw new IllegalArgumentException("GenEval clause " + where + ": 'position' must be [relation, index], got " + raw);
        }
        if (!RELATIONS.contains(relation)) {
            throw new IllegalArgumentException("GenEval clause " + where + ": relation must be one of " + RELATIONS + ", got '"
                    + relation + "'");
        }
        int index = integer(p.get(1), where + ".position index");
        if (index < 0 || index >= clauseIndex) {
            throw new IllegalArgumentException("GenEval clause " + where + ": position index must refer to an earlier include clause"
                    + " (0 to " + (clauseIndex - 1) + "), got " + index);
        }
        return List.of(relation, index);
    }

    private static int integer(Object o, String where) {
        boolean integral = o instanceof Integer || o instanceof Long || o instanceof Short || o instanceof Byte
                || o instanceof BigInteger;
        if (!integral) {
            throw new IllegalArgumentException("GenEval metadata " + where + " must be an integer, got " + o);
        }
        if (o instanceof BigInteger big && big.bitLength() >= 32) {
            // Printing a huge integer costs time quadratic in its length: say its size instead.
            throw new IllegalArgumentException("GenEval metadata " + where + " is far too large: " + (big.bitLength() < 64
                    ? big.toString() : "an integer of " + big.bitLength() + " bits") + " (at most " + Integer.MAX_VALUE + ")");
        }
        long v = ((Number) o).longValue();
        if (v > Integer.MAX_VALUE || v < Integer.MIN_VALUE) {
            throw new IllegalArgumentException("GenEval metadata " + where + " is far too large: " + v + " (at most "
                    + Integer.MAX_VALUE + ")");
        }
        return (int) v;
    }

    /** Keys this class does not know travel unchanged, so a round trip loses nothing. */
    private static void copyOthers(Map<?, ?> from, Map<String, Object> to, List<String> known) {
        for (Map.Entry<?, ?> e : from.entrySet()) {
            if (!(e.getKey() instanceof String key)) {
                throw new IllegalArgumentException("GenEval metadata keys must be strings, got " + e.getKey());
            }
            // a null has no place in a Prompt's metadata; JSON null and an absent key mean the same here
            if (e.getValue() != null && !known.contains(key)) {
                to.put(key, e.getValue());
            }
        }
    }

    /** Python's json.dumps layout: one line, ", " between items and ": " after keys. */
    private static final class PythonSeparators extends MinimalPrettyPrinter {
        private static final long serialVersionUID = 1L;

        @Override
        public void writeObjectFieldValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(": ");
        }

        @Override
        public void writeObjectEntrySeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }

        @Override
        public void writeArrayValueSeparator(JsonGenerator g) throws IOException {
            g.writeRaw(", ");
        }
    }
}
