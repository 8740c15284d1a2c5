package io.diffrl4j.rewards.ocr;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

/** The rule of docs/REWARDS.md "OCR" against hand-computed cases. */
class OcrRuleTest {
    @Test
    void levenshteinMatchesHandComputedDistances() {
        assertEquals(3, OcrRule.levenshtein("kitten", "sitting")); // k->s, e->i, +g
        assertEquals(3, OcrRule.levenshtein("sitting", "kitten")); // symmetric
        assertEquals(2, OcrRule.levenshtein("flaw", "lawn")); // -f, +n
        assertEquals(3, OcrRule.levenshtein("saturday", "sunday")); // -a, -t, r->n
        assertEquals(1, OcrRule.levenshtein("hello", "hallo"));
        assertEquals(3, OcrRule.levenshtein("", "abc"));
        assertEquals(3, OcrRule.levenshtein("abc", ""));
        assertEquals(0, OcrRule.levenshtein("same", "same"));
        assertEquals(0, OcrRule.levenshtein("", ""));
        // Code points, not UTF-16 units: the emoji is one deletion, as in Python.
        assertEquals(1, OcrRule.levenshtein("a\uD83D\uDE00b", "ab"));
    }

    @Test
    void targetIsTheTextBetweenTheFirstPairOfQuotes() {
        assertEquals("hello world", OcrRule.target("A sign that says \"hello world\""));
        assertEquals("OPEN 24 HOURS", OcrRule.target("a storefront with \"OPEN 24 HOURS\" written on it"));
        assertEquals("a", OcrRule.target("first \"a\" then \"b\""));
        assertEquals("no quotes here", OcrRule.target("no quotes here"));
        assertEquals("one \"quote only", OcrRule.target("one \"quote only"));
        assertEquals("", OcrRule.target("empty \"\" quotes"));
    }

    @Test
    void normaliseRemovesSpacesAndLowerCases() {
        assertEquals("open24hours", OcrRule.normalise(" OPEN 24  Hours "));
        assertEquals("", OcrRule.normalise("   "));
    }

    @Test
    void recognisedConcatenatesLinesWithPositiveConfidence() {
        List<OcrLine> lines = List.of(new OcrLine("HEL", 0.9), new OcrLine("junk", 0), new OcrLine("LO", 0.01));
        assertEquals("HELLO", OcrRule.recognised(lines));
        assertEquals("", OcrRule.recognised(List.of()));
    }

    @Test
    void substringScoresOne() {
        assertEquals(0, OcrRule.distance("hello", "xxhelloyy"));
        assertEquals(1.0, OcrRule.score("A sign that says \"Hello World\"", "xx HELLO world yy"), 0);
        assertEquals(1.0, OcrRule.score("\"OPEN 24 HOURS\"", "open24hours"), 0);
    }

    @Test
    void partialMatchesScoreOneMinusDistanceOverLength() {
        assertEquals(0.8, OcrRule.score("\"hello\"", "hallo"), 1e-12); // 1 substitution of 5
        assertEquals(0.8, OcrRule.score("\"hello\"", "hell"), 1e-12); // 1 insertion of 5
        assertEquals(1 - 1.0 / 11, OcrRule.score("\"OPEN 24 HOURS\"", "OPEN 24 H0URS"), 1e-12);
        assertEquals(1 - 3.0 / 7, OcrRule.score("\"sitting\"", "kitten"), 1e-12);
        assertEquals(0.5, OcrRule.score("\"lawn\"", "flaw"), 1e-12);
        // Without quotes the whole prompt is the target: "kitten" vs "sitting".
        assertEquals(1 - 3.0 / 6, OcrRule.score("kitten", "Sitting"), 1e-12);
    }

    @Test
    void distanceIsClippedAtTheTargetLength() {
        assertEquals(9, OcrRule.levenshtein("zzzzzzzzz", "abc"));
        assertEquals(3, OcrRule.distance("abc", "zzzzzzzzz"));
        assertEquals(0.0, OcrRule.score("\"abc\"", "zzzzzzzzz"), 0);
        assertEquals(0.0, OcrRule.score("\"abc\"", ""), 0);
    }

    @Test
    void emptyTargetScoresZero() {
        assertEquals(0.0, OcrRule.score("say \"\"", "anything"), 0);
        assertEquals(0.0, OcrRule.score("say \"   \"", ""), 0);
        assertEquals(0.0, OcrRule.score("", ""), 0);
    }
}
