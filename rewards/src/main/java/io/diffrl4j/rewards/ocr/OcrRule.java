package io.diffrl4j.rewards.ocr;

import java.util.List;
import java.util.Locale;

/**
 * The OCR reward's scoring rule (docs/REWARDS.md, "OCR"), as pure functions: the target is the text
 * between the first pair of double quotes in the prompt (the whole prompt if there is no pair),
 * target and recognised text are normalised (spaces removed, lower-cased), and
 * {@code reward = 1 - dist / len(target)} with {@code dist = 0} when the target is a substring of
 * the recognised text, else the Levenshtein distance clipped at {@code len(target)}; the reward is
 * 0 for an empty target. Lengths and edits count Unicode code points, as Python's strings do in the
 * reference code. Stateless and thread-safe.
 */
public final class OcrRule {
    private OcrRule() {}

    /**
     * @param prompt a prompt such as {@code A sign that says "hello world"}
     * @return the text between the first two double quotes ({@code hello world}), or the whole
     *     prompt when it has fewer than two
     */
    public static String target(String prompt) {
        int open = prompt.indexOf('"');
        int close = open < 0 ? -1 : prompt.indexOf('"', open + 1);
        // An unpaired quote is no "pair": the spec then falls back to the whole prompt.
        return close < 0 ? prompt : prompt.substring(open + 1, close);
    }

    /**
     * @param text target or recognised text
     * @return the text without U+0020 spaces, lower-cased (locale-independent)
     */
    public static String normalise(String text) {
        // Only the space character, as the reference's str.replace(' ', ''); the engine already
        // drops line terminators, so nothing else of note remains.
        return text.replace(" ", "").toLowerCase(Locale.ROOT);
    }

    /**
     * @param lines the recognised lines, in the engine's order
     * @return the texts of the lines with confidence above 0, concatenated (not yet normalised)
     */
    public static String recognised(List<OcrLine> lines) {
        StringBuilder sb = new StringBuilder();
        for (OcrLine line : lines) {
            if (line.confidence() > 0) {
                sb.append(line.text());
            }
        }
        return sb.toString();
    }

    /**
     * @param a one string
     * @param b another
     * @return the Levenshtein distance (unit-cost insertions, deletions, substitutions) between
     *     their code-point sequences
     */
    public static int levenshtein(String a, String b) {
        int[] s = a.codePoints().toArray();
        int[] t = b.codePoints().toArray();
        // Two rows suffice: row i only reads row i - 1.
        int[] prev = new int[t.length + 1];
        int[] cur = new int[t.length + 1];
        for (int j = 0; j <= t.length; j++) {
            prev[j] = j;
        }
        for (int i = 1; i <= s.length; i++) {
            cur[0] = i;
            for (int j = 1; j <= t.length; j++) {
                int substitute = prev[j - 1] + (s[i - 1] == t[j - 1] ? 0 : 1);
                cur[j] = Math.min(substitute, Math.min(prev[j] + 1, cur[j - 1] + 1));
            }
            int[] swap = prev;
            prev = cur;
            cur = swap;
        }
        return prev[t.length];
    }

    /**
     * @param target the normalised target
     * @param recognised the normalised recognised text
     * @return 0 when the target occurs in the recognised text, else their Levenshtein distance
     *     clipped at the target's length
     */
    public static int distance(String target, String recognised) {
        if (recognised.contains(target)) {
            return 0;
        }
        return Math.min(levenshtein(recognised, target), target.codePointCount(0, target.length()));
    }

    /**
     * @param prompt the prompt (its quoted target is extracted)
     * @param recognisedText the recognised text (not yet normalised)
     * @return the reward in [0, 1]; 0 when the normalised target is empty
     */
    public static double score(String prompt, String recognisedText) {
        String target = normalise(target(prompt));
        int length = target.codePointCount(0, target.length());
        if (length == 0) {
            return 0;
        }
        return 1 - (double) distance(target, normalise(recognisedText)) / length;
    }
}
