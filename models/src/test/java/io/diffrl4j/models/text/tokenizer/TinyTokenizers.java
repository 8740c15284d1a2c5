package io.diffrl4j.models.text.tokenizer;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * Tokenizer folders over small hand-made vocabularies, for the tokenizer tests (which work out
 * expected ids by hand from them) and for tiny pipeline folders in other tests.
 */
public final class TinyTokenizers {
    private TinyTokenizers() {}

    /** CLIP vocabulary. Ids are the positions: single bytes, bytes ending a word, merge results, then bos and eos. */
    public static final List<String> VOCAB = List.of(
            "!", ",", ".", "a", "d", "e", "f", "g", "h", "l", "o", "p", "r", "t", "w", "y", // 0..15
            "!</w>", ",</w>", ".</w>", "a</w>", "d</w>", "e</w>", "f</w>", "g</w>", // 16..23
            "h</w>", "l</w>", "o</w>", "p</w>", "r</w>", "t</w>", "w</w>", "y</w>", // 24..31
            "ph", "pho", "to</w>", "photo</w>", "to", "photo", "gr", "gra", // 32..39
            "phy</w>", "graphy</w>", "do", "dog</w>", "of</w>", "!!</w>", // 40..45
            "<|startoftext|>", "<|endoftext|>"); // 46, 47
    /** In rank order. */
    public static final List<String> MERGES = List.of("p h", "ph o", "t o</w>", "pho to</w>", "t o", "pho to", "g r",
            "gr a", "ph y</w>", "gra phy</w>", "d o", "do g</w>", "o f</w>", "! !</w>");

    /** A CLIP-L-like folder: special_tokens_map.json with AddedToken objects, pad = <|endoftext|>. */
    public static Path clipL(Path dir) throws IOException {
        writeVocabAndMerges(dir);
        Files.writeString(dir.resolve("special_tokens_map.json"), """
                {
                  "bos_token": {"content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
                  "eos_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false},
                  "pad_token": "<|endoftext|>",
                  "unk_token": {"content": "<|endoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false}
                }
                """);
        return dir;
    }

    /** A CLIP-G-like folder (SD3's tokenizer_2): pad "!" named in both files, "!" an added special token. */
    public static Path clipG(Path dir) throws IOException {
        writeVocabAndMerges(dir);
        Files.writeString(dir.resolve("special_tokens_map.json"), """
                {"bos_token": "<|startoftext|>", "eos_token": "<|endoftext|>", "pad_token": "!", "unk_token": "<|endoftext|>"}
                """);
        Files.writeString(dir.resolve("tokenizer_config.json"), """
                {
                  "add_prefix_space": false,
                  "added_tokens_decoder": {
                    "0": {"content": "!", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true},
                    "46": {"content": "<|startoftext|>", "lstrip": false, "normalized": true, "rstrip": false, "single_word": false, "special": true},
                    "47": {"content": "<|endoftext|>", "lstrip": false, "normalized": false, "rstrip": false, "single_word": false, "special": true}
                  },
                  "bos_token": "<|startoftext|>",
                  "do_lower_case": true,
                  "eos_token": "<|endoftext|>",
                  "model_max_length": 77,
                  "pad_token": "!",
                  "tokenizer_class": "CLIPTokenizer",
                  "unk_token": "<|endoftext|>"
                }
                """);
        return dir;
    }

    private static void writeVocabAndMerges(Path dir) throws IOException {
        Files.createDirectories(dir);
        StringBuilder vocab = new StringBuilder("{");
        for (int i = 0; i < VOCAB.size(); i++) {
            vocab.append(i == 0 ? "" : ", ").append('"').append(VOCAB.get(i).replace("\"", "\\\"")).append("\": ").append(i);
        }
        Files.writeString(dir.resolve("vocab.json"), vocab.append("}\n"));
        Files.writeString(dir.resolve("merges.txt"), "#version: 0.2\n" + String.join("\n", MERGES) + "\n");
    }

    /** A T5 Unigram tokenizer.json (post-processor left as %s). Ids are the positions; scores are log-probabilities. */
    public static final String TOKENIZER_JSON = """
            {
              "version": "1.0",
              "truncation": null,
              "padding": null,
              "added_tokens": [
                {"id": 0, "content": "<pad>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 1, "content": "</s>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true},
                {"id": 2, "content": "<unk>", "single_word": false, "lstrip": false, "rstrip": false, "normalized": false, "special": true}
              ],
              "normalizer": {"type": "Sequence", "normalizers": [
                {"type": "Strip", "strip_left": false, "strip_right": true},
                {"type": "Replace", "pattern": {"Regex": " {2,}"}, "content": "\u2581"}
              ]},
              "pre_tokenizer": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
              %s,
              "decoder": {"type": "Metaspace", "replacement": "\u2581", "prepend_scheme": "always", "split": true},
              "model": {"type": "Unigram", "unk_id": 2, "byte_fallback": false, "vocab": [
                ["<pad>", 0.0], ["</s>", 0.0], ["<unk>", 0.0],
                ["\u2581", -2.0], ["\u2581a", -1.0], ["\u2581cat", -1.5], ["\u2581c", -3.0], ["a", -3.0],
                ["t", -3.0], ["s", -2.0], ["\u2581dog", -1.5], ["\u2581the", -1.2], [".", -2.0]
              ]}
            }
            """;
    /** T5's post-processor: the sequence, then {@code </s>}. */
    public static final String TEMPLATE = """
            "post_processor": {"type": "TemplateProcessing",
                "single": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "pair": [{"Sequence": {"id": "A", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}},
                         {"Sequence": {"id": "B", "type_id": 0}}, {"SpecialToken": {"id": "</s>", "type_id": 0}}],
                "special_tokens": {"</s>": {"id": "</s>", "ids": [1], "tokens": ["</s>"]}}}""";

    /** A T5 folder: {@link #TOKENIZER_JSON} with the given post-processor, and special_tokens_map.json. */
    public static Path t5(Path dir, String postProcessor) throws IOException {
        Files.createDirectories(dir);
        Files.writeString(dir.resolve("tokenizer.json"), TOKENIZER_JSON.formatted(postProcessor));
        Files.writeString(dir.resolve("special_tokens_map.json"),
                "{\"eos_token\": \"</s>\", \"pad_token\": \"<pad>\", \"unk_token\": \"<unk>\"}\n");
        return dir;
    }
}
