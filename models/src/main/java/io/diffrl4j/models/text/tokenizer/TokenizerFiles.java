package io.diffrl4j.models.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.OptionalLong;

/**
 * What a transformers tokenizer folder says about its special tokens, and where a token's id is in
 * a {@code tokenizer.json}. Package-private plumbing shared by the CLIP and T5 tokenizers.
 */
final class TokenizerFiles {
    static final ObjectMapper JSON = new ObjectMapper();
    static final String TOKENIZER_JSON = "tokenizer.json";
    static final String SPECIAL_TOKENS_MAP = "special_tokens_map.json";
    static final String TOKENIZER_CONFIG = "tokenizer_config.json";

    private TokenizerFiles() {}

    /**
     * Reads a JSON file, naming it in the error.
     *
     * @param file the file
     * @return its tree
     * @throws IOException when it cannot be read or parsed
     */
    static JsonNode read(Path file) throws IOException {
        try {
            return JSON.readTree(file.toFile());
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
    }

    /**
     * The special tokens the folder names ({@code bos_token}, {@code eos_token}, {@code unk_token},
     * {@code pad_token}, ...), as plain strings. {@code special_tokens_map.json} wins over
     * {@code tokenizer_config.json}, as transformers' {@code from_pretrained} lets it; a value may be a
     * string or an AddedToken object with a {@code content}.
     *
     * @param folder the tokenizer folder
     * @return key to token; only keys with a string or {@code content} value
     * @throws IOException when a present file cannot be read
     */
    static Map<String, String> specialTokens(Path folder) throws IOException {
        Map<String, String> out = new LinkedHashMap<>();
        for (String name : new String[] {TOKENIZER_CONFIG, SPECIAL_TOKENS_MAP}) {
            Path file = folder.resolve(name);
            if (!Files.isRegularFile(file)) {
                continue;
            }
            JsonNode root = read(file);
            root.fields().forEachRemaining(e -> {
                if (e.getKey().endsWith("_token")) {
                    String token = tokenContent(e.getValue());
                    if (token != null) {
                        out.put(e.getKey(), token);
                    }
                }
            });
        }
        return out;
    }

    /** @return the token of a string or AddedToken-object value, null for anything else */
    static String tokenContent(JsonNode value) {
        if (value == null || value.isNull()) {
            return null;
        }
        if (value.isTextual()) {
            return value.asText();
        }
        JsonNode content = value.get("content");
        return content != null && content.isTextual() ? content.asText() : null;
    }

    /**
     * Finds a token's id in a {@code tokenizer.json}: among the added tokens first (they win in the
     * tokenizers library too), then in the model's vocabulary (an object for BPE/WordPiece/WordLevel,
     * a list of {@code [piece, score]} for Unigram, where the id is the index).
     *
     * @param tokenizer the tokenizer.json tree
     * @param token a token
     * @return its id, or empty when the tokenizer does not know it
     */
    static OptionalLong tokenId(JsonNode tokenizer, String token) {
        for (JsonNode added : tokenizer.path("added_tokens")) {
            if (token.equals(added.path("content").asText(null))) {
                return OptionalLong.of(added.path("id").asLong());
            }
        }
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.isObject()) {
            JsonNode id = vocab.get(token);
            return id != null && id.canConvertToLong() ? OptionalLong.of(id.asLong()) : OptionalLong.empty();
        }
        if (vocab.isArray()) {
            for (int i = 0; i < vocab.size(); i++) {
                JsonNode piece = vocab.get(i);
                if (piece.isArray() && token.equals(piece.path(0).asText(null))) {
                    return OptionalLong.of(i);
                }
            }
        }
        return OptionalLong.empty();
    }

    /**
     * @param tokenizer the tokenizer.json tree
     * @param token a token
     * @param file the file the tree came from, for the message
     * @param role what the token is for ("pad", "end-of-sequence"...), for the message
     * @return its id
     * @throws IllegalArgumentException when the tokenizer does not know the token
     */
    static long requireId(JsonNode tokenizer, String token, Path file, String role) {
        OptionalLong id = tokenId(tokenizer, token);
        if (id.isEmpty()) {
            throw new IllegalArgumentException(file + ": the " + role + " token '" + token
                    + "' is neither an added token nor in the model's vocabulary");
        }
        return id.getAsLong();
    }

    /** @return one more than the largest id among the added tokens and the model's vocabulary */
    static int vocabularySize(JsonNode tokenizer) {
        long max = -1;
        for (JsonNode added : tokenizer.path("added_tokens")) {
            max = Math.max(max, added.path("id").asLong(-1));
        }
        JsonNode vocab = tokenizer.path("model").path("vocab");
        if (vocab.isObject()) {
            for (JsonNode id : vocab) {
                max = Math.max(max, id.asLong(-1));
            }
        } else if (vocab.isArray()) {
            max = Math.max(max, vocab.size() - 1L);
        }
        return Math.toIntExact(max + 1);
    }

    /**
     * Writes the padding and truncation a prompt tokenizer needs into a tokenizer.json tree, in the
     * tokenizers library's serial form. DJL reads the pad token and id from this block; without it
     * DJL would pad with id 0 whatever the folder says.
     */
    static void setPaddingAndTruncation(ObjectNode tokenizer, int maxLength, String padToken, long padId) {
        ObjectNode truncation = JSON.createObjectNode();
        truncation.put("direction", "Right");
        truncation.put("max_length", maxLength);
        truncation.put("strategy", "LongestFirst");
        truncation.put("stride", 0);
        tokenizer.set("truncation", truncation);
        ObjectNode padding = JSON.createObjectNode();
        padding.set("strategy", JSON.createObjectNode().put("Fixed", maxLength));
        padding.put("direction", "Right");
        padding.putNull("pad_to_multiple_of");
        padding.put("pad_id", padId);
        padding.put("pad_type_id", 0);
        padding.put("pad_token", padToken);
        tokenizer.set("padding", padding);
    }
}
