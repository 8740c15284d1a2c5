package io.diffrl4j.models.text.tokenizer;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Builds, from a slow CLIP tokenizer's {@code vocab.json} and {@code merges.txt}, the tokenizer.json
 * that transformers' {@code CLIPConverter} makes (what {@code CLIPTokenizerFast.from_pretrained} does
 * when the folder has no tokenizer.json):
 * <ul>
 *   <li>normalizer: NFC, every whitespace run replaced by one space, lower-casing;</li>
 *   <li>pre-tokenizer: a Split on CLIP's word pattern (matches kept, the rest, i.e. whitespace,
 *       removed) followed by ByteLevel without a prefix space;</li>
 *   <li>model: BPE with end-of-word suffix {@code </w>}, no continuing-subword prefix, the
 *       {@code unk_token} as unknown token, no fused unknowns;</li>
 *   <li>post-processor: RobertaProcessing, i.e. {@code bos ... eos};</li>
 *   <li>decoder: ByteLevel;</li>
 *   <li>added tokens: the {@code added_tokens_decoder} of {@code tokenizer_config.json}, then every
 *       special token the folder names ({@code pad_token} "!" of OpenCLIP bigG included), as
 *       {@code PreTrainedTokenizerFast} registers them.</li>
 * </ul>
 */
final class ClipTokenizerJson {
    static final String VOCAB = "vocab.json";
    static final String MERGES = "merges.txt";
    static final String DEFAULT_BOS = "<|startoftext|>";
    static final String DEFAULT_EOS = "<|endoftext|>";
    /** CLIPTokenizer's defaults for unk and pad are its eos. */
    static final String DEFAULT_UNK = DEFAULT_EOS;
    static final String DEFAULT_PAD = DEFAULT_EOS;
    /** transformers reads merges.txt lines {@code [1 : 49152 - 256 - 2 + 1]}: the header, then at most this many. */
    static final int MAX_MERGES = 49152 - 256 - 2;
    /** CLIP's word pattern, as the converter writes it (its special-token alternatives are not needed there). */
    static final String WORD_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

    private ClipTokenizerJson() {}

    /** @return whether the folder holds a slow CLIP tokenizer */
    static boolean present(Path folder) {
        return Files.isRegularFile(folder.resolve(VOCAB)) && Files.isRegularFile(folder.resolve(MERGES));
    }

    /**
     * @param folder a folder with vocab.json and merges.txt (and optionally special_tokens_map.json,
     *     tokenizer_config.json)
     * @return the tokenizer.json tree, without padding or truncation
     * @throws IOException when a file is missing, unreadable or malformed
     */
    static ObjectNode build(Path folder) throws IOException {
        Path vocabFile = folder.resolve(VOCAB);
        JsonNode vocab = TokenizerFiles.read(vocabFile);
        if (!vocab.isObject()) {
            throw new IOException(vocabFile + ": expected a JSON object of token to id");
        }
        Iterator<Map.Entry<String, JsonNode>> it = vocab.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isIntegralNumber()) {
                throw new IOException(vocabFile + ": the id of '" + e.getKey() + "' is not an integer: " + e.getValue());
            }
        }
        List<String> merges = readMerges(folder.resolve(MERGES));
        // CLIPTokenizer's defaults apply to the tokens the folder does not name; all are registered
        Map<String, String> specials = new LinkedHashMap<>(TokenizerFiles.specialTokens(folder));
        specials.putIfAbsent("bos_token", DEFAULT_BOS);
        specials.putIfAbsent("eos_token", DEFAULT_EOS);
        specials.putIfAbsent("unk_token", DEFAULT_UNK);
        specials.putIfAbsent("pad_token", DEFAULT_PAD);
        String bos = specials.get("bos_token");
        String eos = specials.get("eos_token");
        String unk = specials.get("unk_token");

        ObjectNode root = TokenizerFiles.JSON.createObjectNode();
        root.put("version", "1.0");
        // the tokenizers library's key order; each is filled below (a later set keeps the position)
        for (String key : new String[] {"truncation", "padding", "added_tokens", "normalizer", "pre_tokenizer",
                "post_processor", "decoder", "model"}) {
            root.putNull(key);
        }
        root.set("added_tokens", addedTokens(folder, vocab, specials));

        ObjectNode normalizer = root.putObject("normalizer").put("type", "Sequence");
        ArrayNode normalizers = normalizer.putArray("normalizers");
        normalizers.addObject().put("type", "NFC");
        ObjectNode replace = normalizers.addObject().put("type", "Replace");
        replace.putObject("pattern").put("Regex", "\\s+");
        replace.put("content", " ");
        normalizers.addObject().put("type", "Lowercase");

        ArrayNode pre = root.putObject("pre_tokenizer").put("type", "Sequence").putArray("pretokenizers");
        ObjectNode split = pre.addObject().put("type", "Split");
        split.putObject("pattern").put("Regex", WORD_PATTERN);
        split.put("behavior", "Removed");
        split.put("invert", true);
        pre.addObject().put("type", "ByteLevel").put("add_prefix_space", false).put("trim_offsets", true)
                .put("use_regex", true);

        root.putObject("decoder").put("type", "ByteLevel").put("add_prefix_space", true).put("trim_offsets", true)
                .put("use_regex", true);

        ObjectNode model = root.putObject("model");
        model.put("type", "BPE");
        model.putNull("dropout");
        model.put("unk_token", unk);
        model.put("continuing_subword_prefix", "");
        model.put("end_of_word_suffix", ClipTokenizer.END_OF_WORD_SUFFIX);
        model.put("fuse_unk", false);
        model.put("byte_fallback", false);
        model.put("ignore_merges", false);
        model.set("vocab", vocab);
        ArrayNode mergeArray = model.putArray("merges");
        merges.forEach(mergeArray::add);

        // RobertaProcessing is the converter's way to get "bos $A eos" next to a ByteLevel pre-tokenizer
        ObjectNode post = root.putObject("post_processor").put("type", "RobertaProcessing");
        post.putArray("sep").add(eos).add(TokenizerFiles.requireId(root, eos, vocabFile, "end-of-sequence"));
        post.putArray("cls").add(bos).add(TokenizerFiles.requireId(root, bos, vocabFile, "beginning-of-sequence"));
        post.put("trim_offsets", false);
        post.put("add_prefix_space", false);
        return root;
    }

    /**
     * The merges as "left right" strings, read as transformers' CLIPTokenizer does: the whole file
     * stripped, split into lines, the first line (the "#version" header) dropped, at most
     * {@link #MAX_MERGES} kept, each line split on whitespace. Blank lines are skipped.
     */
    static List<String> readMerges(Path file) throws IOException {
        String text;
        try {
            text = Files.readString(file, StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IOException("cannot read " + file + ": " + e.getMessage(), e);
        }
        String[] lines = text.strip().split("\n", -1);
        List<String> merges = new ArrayList<>();
        for (int i = 1; i < lines.length && i <= MAX_MERGES; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            String[] parts = line.split("\\s+");
            if (parts.length != 2) {
                throw new IOException(file + ": line " + (i + 1) + " is not a pair of tokens: '" + line + "'");
            }
            merges.add(parts[0] + " " + parts[1]);
        }
        return merges;
    }

    /**
     * The added tokens, sorted by id: tokenizer_config.json's {@code added_tokens_decoder} with its
     * flags, then each special token of the folder not already there (special, not normalized, as
     * {@code AddedToken(..., special=True)}), with its vocabulary id or, if the vocabulary lacks it,
     * the next free id.
     */
    private static ArrayNode addedTokens(Path folder, JsonNode vocab, Map<String, String> specials) throws IOException {
        TreeMap<Long, ObjectNode> byId = new TreeMap<>();
        long nextFree = 0;
        for (JsonNode id : vocab) {
            nextFree = Math.max(nextFree, id.asLong() + 1);
        }
        Path config = folder.resolve(TokenizerFiles.TOKENIZER_CONFIG);
        if (Files.isRegularFile(config)) {
            JsonNode decoder = TokenizerFiles.read(config).path("added_tokens_decoder");
            Iterator<Map.Entry<String, JsonNode>> it = decoder.fields();
            while (it.hasNext()) {
                Map.Entry<String, JsonNode> e = it.next();
                long id;
                try {
                    id = Long.parseLong(e.getKey());
                } catch (NumberFormatException ex) {
                    throw new IOException(config + ": added_tokens_decoder key '" + e.getKey() + "' is not an id", ex);
                }
                String content = TokenizerFiles.tokenContent(e.getValue());
                if (content == null) {
                    throw new IOException(config + ": added_tokens_decoder " + id + " has no content");
                }
                JsonNode t = e.getValue();
                byId.put(id, addedToken(id, content, t.path("single_word").asBoolean(false),
                        t.path("lstrip").asBoolean(false), t.path("rstrip").asBoolean(false),
                        t.path("normalized").asBoolean(false), t.path("special").asBoolean(false)));
                nextFree = Math.max(nextFree, id + 1);
            }
        }
        for (String token : specials.values()) {
            boolean known = byId.values().stream().anyMatch(t -> token.equals(t.path("content").asText()));
            if (known) {
                continue;
            }
            JsonNode inVocab = vocab.get(token);
            long id = inVocab != null ? inVocab.asLong() : nextFree++;
            byId.put(id, addedToken(id, token, false, false, false, false, true));
        }
        ArrayNode out = TokenizerFiles.JSON.createArrayNode();
        byId.values().forEach(out::add);
        return out;
    }

    private static ObjectNode addedToken(long id, String content, boolean singleWord, boolean lstrip, boolean rstrip,
            boolean normalized, boolean special) {
        ObjectNode t = TokenizerFiles.JSON.createObjectNode();
        t.put("id", id);
        t.put("content", content);
        t.put("single_word", singleWord);
        t.put("lstrip", lstrip);
        t.put("rstrip", rstrip);
        t.put("normalized", normalized);
        t.put("special", special);
        return t;
    }
}
