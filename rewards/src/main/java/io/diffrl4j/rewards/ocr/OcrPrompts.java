package io.diffrl4j.rewards.ocr;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;

/**
 * Prompts for the OCR task that need no data set: a quoted word or short phrase in a scene template,
 * such as {@code A sign that says "hello world"} or {@code a storefront with "OPEN 24 HOURS" written
 * on it}, in the form {@link OcrRule#target} reads. Generation is deterministic for a seed (Java's
 * specified {@link Random}), every prompt pairs a different template and text (no duplicates), and
 * the quoted text's case (lower, Title or UPPER) is drawn per prompt; the reward ignores case.
 * Prompt files are UTF-8 text, one prompt per line.
 */
public final class OcrPrompts {
    private static final List<String> TEMPLATES = List.of(
            "A sign that says \"%s\"",
            "a storefront with \"%s\" written on it",
            "A neon sign reading \"%s\" on a brick wall",
            "A chalkboard menu with the words \"%s\"",
            "A vintage poster with the title \"%s\"",
            "A coffee mug printed with \"%s\"",
            "A t-shirt with \"%s\" printed on the front",
            "A road sign that reads \"%s\"",
            "A birthday cake with \"%s\" written in icing",
            "A book cover titled \"%s\"",
            "A banner that says \"%s\" at a street festival",
            "A wooden sign carved with \"%s\"",
            "A graffiti mural spelling \"%s\"",
            "A billboard by a highway displaying \"%s\"",
            "A handwritten note that says \"%s\"",
            "A movie poster with \"%s\" in large letters",
            "A sticker on a laptop that says \"%s\"",
            "A cardboard box stamped with \"%s\"",
            "A glowing hologram displaying \"%s\"",
            "A sandy beach with \"%s\" written in the sand",
            "A receipt with \"%s\" printed at the top",
            "A doormat that reads \"%s\"",
            "A flag with \"%s\" on it, waving in the wind",
            "A shop window with \"%s\" painted on the glass");

    private static final List<String> TEXTS = List.of(
            // Single words.
            "hello", "open", "closed", "sale", "coffee", "bakery", "pizza", "books", "music", "love",
            "peace", "dream", "hope", "smile", "welcome", "exit", "stop", "danger", "caution", "fresh",
            "sushi", "garden", "ocean", "summer", "winter", "autumn", "spring", "library", "market", "hotel",
            "cinema", "tacos", "donuts", "bread", "rocket", "galaxy", "robot", "dragon", "tiger", "panda",
            "pixel", "magic", "yoga", "jazz", "candy", "lemon", "cherry", "mango", "honey", "river",
            "forest", "thunder", "studio", "school", "museum", "harbor", "nature", "happy", "vote", "bistro",
            // Short phrases.
            "hello world", "open 24 hours", "grand opening", "happy birthday", "fresh bread daily",
            "live music tonight", "no parking", "keep calm", "good morning", "thank you",
            "best coffee in town", "half price", "welcome home", "save the planet", "dream big",
            "stay curious", "game over", "hot pizza", "free wifi", "ice cream",
            "do not disturb", "exit only", "lost and found", "happy new year", "made with love",
            "back in 5 minutes", "be kind", "the end", "once upon a time", "mind the gap",
            "carpe diem", "hello there", "farm to table", "go team", "just married",
            "try again", "level up", "gone fishing", "all you can eat", "fresh flowers",
            "bike lane", "quiet please", "under construction", "coming soon", "sold out",
            "you are here", "we are closed", "book club", "night market", "rock and roll",
            "coffee and tea", "cash only", "road trip", "sweet dreams", "deep space",
            "hot dogs", "pet shop", "open late", "fish and chips", "no entry");

    private OcrPrompts() {}

    /** @return how many distinct prompts the generator can make (templates x texts) */
    public static int capacity() {
        return TEMPLATES.size() * TEXTS.size();
    }

    /**
     * @param count how many prompts, in [1, {@link #capacity()}]
     * @param seed the seed; the same seed gives the same prompts in the same order
     * @return distinct prompts, each with exactly one quoted target
     */
    public static List<String> generate(int count, long seed) {
        if (count < 1 || count > capacity()) {
            throw new IllegalArgumentException("count must be in [1, " + capacity() + "], got " + count);
        }
        Random rng = new Random(seed);
        // A partial Fisher-Yates shuffle of the (template, text) pairs: the first count are drawn
        // without replacement, hence no duplicates.
        int[] pairs = new int[capacity()];
        for (int i = 0; i < pairs.length; i++) {
            pairs[i] = i;
        }
        List<String> prompts = new ArrayList<>(count);
        for (int i = 0; i < count; i++) {
            int j = i + rng.nextInt(pairs.length - i);
            int pair = pairs[j];
            pairs[j] = pairs[i];
            pairs[i] = pair;
            String template = TEMPLATES.get(pair / TEXTS.size());
            String text = withCase(TEXTS.get(pair % TEXTS.size()), rng.nextInt(3));
            prompts.add(String.format(Locale.ROOT, template, text));
        }
        return prompts;
    }

    private static String withCase(String text, int style) {
        switch (style) {
            case 0:
                return text;
            case 1:
                return text.toUpperCase(Locale.ROOT);
            default:
                StringBuilder sb = new StringBuilder(text.length());
                boolean start = true;
                for (char ch : text.toCharArray()) {
                    sb.append(start ? Character.toUpperCase(ch) : ch);
                    start = ch == ' ';
                }
                return sb.toString();
        }
    }

    /**
     * @param prompts the prompts, none containing a line break
     * @param file written (replaced) as UTF-8, one prompt per line
     * @throws IOException when writing fails
     */
    public static void write(List<String> prompts, Path file) throws IOException {
        for (String p : prompts) {
            if (p.indexOf('\n') >= 0 || p.indexOf('\r') >= 0) {
                throw new IllegalArgumentException("a prompt file holds one prompt per line; this one has a line break: " + p);
            }
        }
        Files.write(file, prompts, StandardCharsets.UTF_8);
    }

    /**
     * @param file a UTF-8 prompt file, one prompt per line
     * @return its prompts in file order; blank lines are skipped, surrounding whitespace kept
     * @throws IOException when reading fails
     */
    public static List<String> read(Path file) throws IOException {
        List<String> prompts = new ArrayList<>();
        for (String line : Files.readAllLines(file, StandardCharsets.UTF_8)) {
            if (!line.isBlank()) {
                prompts.add(line);
            }
        }
        return prompts;
    }
}
