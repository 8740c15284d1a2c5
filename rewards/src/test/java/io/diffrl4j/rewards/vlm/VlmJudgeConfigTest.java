package io.diffrl4j.rewards.vlm;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.time.Duration;
import java.util.function.UnaryOperator;
import java.util.regex.Matcher;
import org.junit.jupiter.api.Test;

/** The judge's settings: UnifiedReward's defaults, where requests go, and what a bad value says. */
class VlmJudgeConfigTest {
    private static final URI BASE = URI.create("http://127.0.0.1:8000/v1");

    @Test
    void defaultsAreUnifiedRewards() {
        VlmJudgeConfig c = VlmJudgeConfig.builder(BASE).build();
        assertEquals(BASE, c.baseUrl());
        assertEquals("UnifiedReward-qwen-7b", c.model());
        assertEquals("Final Score:\\s*([1-5](?:\\.\\d+)?)", c.scorePattern().pattern());
        assertEquals(5.0, c.maxScore(), 0);
        assertEquals(0.0, c.temperature(), 0);
        assertEquals(8, c.concurrency());
        assertEquals(Duration.ofSeconds(60), c.timeout());
        assertEquals(1024, c.maxTokens());
        assertNull(c.apiKey());
        String q = c.question("a photo of a red cat");
        assertTrue(q.contains("Text Caption: [a photo of a red cat]"), q);
        assertTrue(q.contains("\"Final Score: <score>\""), q);
        assertTrue(q.contains("from 1 (poor) to 5 (excellent)"), q);
        assertFalse(q.contains("{prompt}"), q);
    }

    @Test
    void theDefaultPatternReadsUnifiedRewardAnswers() {
        VlmJudgeConfig c = VlmJudgeConfig.builder(BASE).build();
        assertEquals("4", group("Reasoning...\nFinal Score: 4", c));
        assertEquals("3.5", group("Final Score:3.5", c));
        assertEquals("2.75", group("Final Score:   2.75.", c));
        assertEquals("5", group("Final Score: 5 (Final Score: 1 elsewhere)", c));
        assertNull(group("Final Score: 0", c));
        assertNull(group("Final Score: 9", c));
        assertNull(group("final score: 4", c));
        assertNull(group("Score: 4", c));
    }

    private static String group(String answer, VlmJudgeConfig c) {
        Matcher m = c.scorePattern().matcher(answer);
        return m.find() ? m.group(1) : null;
    }

    @Test
    void requestsGoToChatCompletionsUnderV1WhetherOrNotTheBaseHasIt() {
        String want = "http://127.0.0.1:8000/v1/chat/completions";
        for (String base : new String[] {"http://127.0.0.1:8000/v1", "http://127.0.0.1:8000/v1/", "http://127.0.0.1:8000",
            "http://127.0.0.1:8000/"}) {
            assertEquals(URI.create(want), VlmJudgeConfig.builder(URI.create(base)).build().chatCompletionsUri(), base);
        }
        assertEquals(URI.create("https://gw.example/judge/v1/chat/completions"),
                VlmJudgeConfig.builder(URI.create("https://gw.example/judge")).build().chatCompletionsUri());
        assertEquals(URI.create("https://gw.example/judge/v1/chat/completions"),
                VlmJudgeConfig.builder(URI.create("https://gw.example/judge/v1")).build().chatCompletionsUri());
        // "/v1" must be a whole path segment.
        assertEquals(URI.create("http://h:1/apiv1/v1/chat/completions"),
                VlmJudgeConfig.builder(URI.create("http://h:1/apiv1")).build().chatCompletionsUri());
        assertEquals(URI.create("http://[::1]:8000/v1/chat/completions"),
                VlmJudgeConfig.builder(URI.create("http://[::1]:8000")).build().chatCompletionsUri());
    }

    @Test
    void theApiKeyStaysOutOfToString() {
        VlmJudgeConfig c = VlmJudgeConfig.builder(BASE).optApiKey("sk-very-secret").build();
        assertEquals("sk-very-secret", c.apiKey());
        assertFalse(c.toString().contains("sk-very-secret"), c.toString());
        assertTrue(c.toString().contains("apiKey=set"), c.toString());
    }

    @Test
    void everyBadValueIsNamedWithItsValueAndRange() {
        assertEquals("baseUrl must be an http(s) URL such as http://127.0.0.1:8000/v1, got null",
                bad(null, b -> b));
        assertEquals("baseUrl must be an http(s) URL with a host, such as http://127.0.0.1:8000/v1, got ftp://h/v1",
                bad(URI.create("ftp://h/v1"), b -> b));
        assertEquals("baseUrl must be an http(s) URL with a host, such as http://127.0.0.1:8000/v1, got localhost:8000",
                bad(URI.create("localhost:8000"), b -> b));
        assertEquals("baseUrl must have no query or fragment, got http://h:1/v1?x=1", bad(URI.create("http://h:1/v1?x=1"), b -> b));
        assertEquals("model must be a non-blank served model name, got \" \"", bad(BASE, b -> b.optModel(" ")));
        assertEquals("model must be a non-blank served model name, got null", bad(BASE, b -> b.optModel(null)));
        assertEquals("questionTemplate must contain {prompt}, got \"Rate this image\"",
                bad(BASE, b -> b.optQuestionTemplate("Rate this image")));
        assertTrue(bad(BASE, b -> b.optScorePattern("Score: ([1-5]")).startsWith(
                "scorePattern must be a valid regex with a capture group, got \"Score: ([1-5]\": Unclosed group"));
        assertEquals("scorePattern must have at least one capture group (the score), got \"Score: [1-5]\"",
                bad(BASE, b -> b.optScorePattern("Score: [1-5]")));
        assertEquals("maxScore must be finite and > 0, got 0.0", bad(BASE, b -> b.optMaxScore(0)));
        assertEquals("maxScore must be finite and > 0, got NaN", bad(BASE, b -> b.optMaxScore(Double.NaN)));
        assertEquals("temperature must be in [0, 2.0], got -0.1", bad(BASE, b -> b.optTemperature(-0.1)));
        assertEquals("temperature must be in [0, 2.0], got 2.5", bad(BASE, b -> b.optTemperature(2.5)));
        assertEquals("concurrency must be in [1, 1024], got 0", bad(BASE, b -> b.optConcurrency(0)));
        assertEquals("concurrency must be in [1, 1024], got 1025", bad(BASE, b -> b.optConcurrency(1025)));
        assertEquals("timeout must be in (0, PT24H], got PT0S", bad(BASE, b -> b.optTimeout(Duration.ZERO)));
        assertEquals("timeout must be in (0, PT24H], got PT-1S", bad(BASE, b -> b.optTimeout(Duration.ofSeconds(-1))));
        assertEquals("timeout must be in (0, PT24H], got PT25H", bad(BASE, b -> b.optTimeout(Duration.ofHours(25))));
        assertEquals("timeout must be in (0, PT24H], got null", bad(BASE, b -> b.optTimeout(null)));
        assertEquals("maxTokens must be in [1, 131072], got 0", bad(BASE, b -> b.optMaxTokens(0)));
        assertEquals("maxTokens must be in [1, 131072], got 131073", bad(BASE, b -> b.optMaxTokens(131_073)));
        assertEquals("apiKey must be null (none) or non-blank, got a blank string", bad(BASE, b -> b.optApiKey("")));
        // The bounds themselves are accepted.
        VlmJudgeConfig edge = VlmJudgeConfig.builder(BASE).optConcurrency(1024).optMaxTokens(1).optTemperature(2)
                .optTimeout(Duration.ofHours(24)).optMaxScore(1e-3).build();
        assertEquals(1024, edge.concurrency());
    }

    private static String bad(URI base, UnaryOperator<VlmJudgeConfig.Builder> edit) {
        return assertThrows(IllegalArgumentException.class, () -> edit.apply(VlmJudgeConfig.builder(base)).build()).getMessage();
    }
}
