package io.diffrl4j.rewards.vlm;

import java.net.URI;
import java.time.Duration;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * Settings of a {@link VlmJudgeReward}: where the OpenAI-compatible server is, which model to ask,
 * the question, how to read the score from the answer, and how hard to load the server. Immutable;
 * validated when built, a bad value failing with a message that names the field, the value and the
 * allowed range. The defaults are UnifiedReward's as Flow-GRPO calls it (docs/REWARDS.md): a 1 to 5
 * score after {@code "Final Score:"}, read with {@value #DEFAULT_SCORE_PATTERN}, divided by 5, at
 * temperature 0.
 *
 * <p>The base URL is the server as users give it, with or without the OpenAI-style {@code /v1}
 * suffix: requests go to {@code {base}/chat/completions} when the base path ends with {@code /v1},
 * else to {@code {base}/v1/chat/completions} (a trailing slash is ignored). So
 * {@code http://host:8000/v1}, {@code http://host:8000/v1/}, {@code http://host:8000} and
 * {@code http://host:8000/} all reach {@code http://host:8000/v1/chat/completions}, and a server
 * behind a path prefix works as {@code http://gateway/judge} or {@code http://gateway/judge/v1}.
 * See {@link #chatCompletionsUri()}.
 */
public final class VlmJudgeConfig {
    /** Where the question template puts the prompt text. */
    public static final String PROMPT_PLACEHOLDER = "{prompt}";
    /** The model name sent by default (a vLLM or sglang server's served model name). */
    public static final String DEFAULT_MODEL = "UnifiedReward-qwen-7b";
    /** UnifiedReward's score regex: the first capture group is the score. */
    public static final String DEFAULT_SCORE_PATTERN = "Final Score:\\s*([1-5](?:\\.\\d+)?)";
    /**
     * The default question: UnifiedReward's two criteria (caption alignment, image quality) and its
     * answer format, a 1 to 5 score after {@code "Final Score:"}.
     */
    public static final String DEFAULT_QUESTION_TEMPLATE = "You are given a text caption and an image generated from that"
            + " caption. Evaluate the image on two criteria:\n"
            + "1. Alignment with the caption: are the objects described present, with the attributes, counts and"
            + " spatial relations the caption gives them?\n"
            + "2. Overall image quality: clarity, detail, colour accuracy and aesthetic appeal.\n"
            + "Explain your judgement briefly, then end your answer with a line of the form \"Final Score: <score>\","
            + " where <score> is a number from 1 (poor) to 5 (excellent).\n"
            + "Text Caption: [" + PROMPT_PLACEHOLDER + "]";
    /** The default divisor: UnifiedReward scores 1 to 5, so rewards land in [0.2, 1] (0 for no score). */
    public static final double DEFAULT_MAX_SCORE = 5.0;
    /** Default number of requests in flight at once. */
    public static final int DEFAULT_CONCURRENCY = 8;
    /** Default time allowed for one request, from sending it to the end of the answer. */
    public static final Duration DEFAULT_TIMEOUT = Duration.ofSeconds(60);
    /** Default cap on the answer's length in tokens (room for a short justification before the score). */
    public static final int DEFAULT_MAX_TOKENS = 1024;
    /** Largest accepted concurrency. */
    public static final int MAX_CONCURRENCY = 1024;
    /** Largest accepted {@code max_tokens}. */
    public static final int MAX_MAX_TOKENS = 131_072;
    /** Longest accepted timeout. */
    public static final Duration MAX_TIMEOUT = Duration.ofHours(24);
    /** Largest accepted temperature (OpenAI's range is [0, 2]). */
    public static final double MAX_TEMPERATURE = 2.0;

    private final URI baseUrl;
    private final URI chatCompletionsUri;
    private final String model;
    private final String questionTemplate;
    private final Pattern scorePattern;
    private final double maxScore;
    private final double temperature;
    private final int concurrency;
    private final Duration timeout;
    private final int maxTokens;
    private final String apiKey;

    private VlmJudgeConfig(Builder b, Pattern scorePattern) {
        this.baseUrl = b.baseUrl;
        this.chatCompletionsUri = resolve(b.baseUrl);
        this.model = b.model;
        this.questionTemplate = b.questionTemplate;
        this.scorePattern = scorePattern;
        this.maxScore = b.maxScore;
        this.temperature = b.temperature;
        this.concurrency = b.concurrency;
        this.timeout = b.timeout;
        this.maxTokens = b.maxTokens;
        this.apiKey = b.apiKey;
    }

    /**
     * @param baseUrl the server, e.g. {@code http://127.0.0.1:8000/v1} (http or https, with a host,
     *     no query or fragment; {@code /v1} optional, see the class comment)
     * @return a builder with UnifiedReward's defaults
     */
    public static Builder builder(URI baseUrl) {
        return new Builder(baseUrl);
    }

    /** Appends {@code /chat/completions} to a base ending in {@code /v1}, else {@code /v1/chat/completions}. */
    private static URI resolve(URI base) {
        String path = base.getRawPath() == null ? "" : base.getRawPath();
        while (path.endsWith("/")) {
            path = path.substring(0, path.length() - 1);
        }
        String endpoint = path.endsWith("/v1") ? path + "/chat/completions" : path + "/v1/chat/completions";
        String authority = base.getRawAuthority();
        return URI.create(base.getScheme() + "://" + authority + endpoint);
    }

    /** @return the server as given */
    public URI baseUrl() {
        return baseUrl;
    }

    /** @return where requests are posted: the base with {@code /v1/chat/completions} completed */
    public URI chatCompletionsUri() {
        return chatCompletionsUri;
    }

    /** @return the model name sent with every request */
    public String model() {
        return model;
    }

    /** @return the question, with {@value #PROMPT_PLACEHOLDER} where the prompt goes */
    public String questionTemplate() {
        return questionTemplate;
    }

    /** @param prompt the prompt text @return the question for that prompt (every placeholder replaced) */
    public String question(String prompt) {
        return questionTemplate.replace(PROMPT_PLACEHOLDER, prompt);
    }

    /** @return the regex whose first group, at its first match in the answer, is the raw score */
    public Pattern scorePattern() {
        return scorePattern;
    }

    /** @return the raw score that maps to reward 1 (rewards are raw / maxScore) */
    public double maxScore() {
        return maxScore;
    }

    /** @return the sampling temperature sent with every request */
    public double temperature() {
        return temperature;
    }

    /** @return the most requests one reward has in flight at once, across concurrent calls */
    public int concurrency() {
        return concurrency;
    }

    /** @return the time allowed for one request, from sending it to the end of the answer */
    public Duration timeout() {
        return timeout;
    }

    /** @return {@code max_tokens} sent with every request */
    public int maxTokens() {
        return maxTokens;
    }

    /** @return the bearer token sent as {@code Authorization}, or null for none */
    public String apiKey() {
        return apiKey;
    }

    @Override
    public String toString() {
        // The API key is a secret: say only whether there is one.
        return "VlmJudgeConfig{baseUrl=" + baseUrl + ", model=" + model + ", scorePattern=" + scorePattern.pattern()
                + ", maxScore=" + maxScore + ", temperature=" + temperature + ", concurrency=" + concurrency
                + ", timeout=" + timeout + ", maxTokens=" + maxTokens + ", apiKey=" + (apiKey == null ? "none" : "set") + "}";
    }

    /** Builder; validated by {@link #build()}. */
    public static final class Builder {
        private final URI baseUrl;
        private String model = DEFAULT_MODEL;
        private String questionTemplate = DEFAULT_QUESTION_TEMPLATE;
        private String scorePattern = DEFAULT_SCORE_PATTERN;
        private double maxScore = DEFAULT_MAX_SCORE;
        private double temperature = 0.0;
        private int concurrency = DEFAULT_CONCURRENCY;
        private Duration timeout = DEFAULT_TIMEOUT;
        private int maxTokens = DEFAULT_MAX_TOKENS;
        private String apiKey;

        private Builder(URI baseUrl) {
            this.baseUrl = baseUrl;
        }

        /** @param model the served model name, not blank @return this */
        public Builder optModel(String model) {
            this.model = model;
            return this;
        }

        /**
         * @param questionTemplate the question, containing {@value VlmJudgeConfig#PROMPT_PLACEHOLDER}
         *     at least once (each occurrence becomes the prompt text)
         * @return this
         */
        public Builder optQuestionTemplate(String questionTemplate) {
            this.questionTemplate = questionTemplate;
            return this;
        }

        /**
         * @param scorePattern a Java regex with at least one capture group; its first group, at the
         *     first match in the answer, is read as a number
         * @return this
         */
        public Builder optScorePattern(String scorePattern) {
            this.scorePattern = scorePattern;
            return this;
        }

        /** @param maxScore the divisor of the raw score, finite and > 0 @return this */
        public Builder optMaxScore(double maxScore) {
            this.maxScore = maxScore;
            return this;
        }

        /** @param temperature sampling temperature in [0, 2]; 0 (the default) for a deterministic judge @return this */
        public Builder optTemperature(double temperature) {
            this.temperature = temperature;
            return this;
        }

        /** @param concurrency requests in flight at once, in [1, 1024] @return this */
        public Builder optConcurrency(int concurrency) {
            this.concurrency = concurrency;
            return this;
        }

        /** @param timeout the time allowed for one request, in (0, 24 h] @return this */
        public Builder optTimeout(Duration timeout) {
            this.timeout = timeout;
            return this;
        }

        /** @param maxTokens {@code max_tokens} of each answer, in [1, 131072] @return this */
        public Builder optMaxTokens(int maxTokens) {
            this.maxTokens = maxTokens;
            return this;
        }

        /** @param apiKey a bearer token for servers started with one, or null for none @return this */
        public Builder optApiKey(String apiKey) {
            this.apiKey = apiKey;
            return this;
        }

        /**
         * @return the config
         * @throws IllegalArgumentException naming the first bad field, its value and the allowed range
         */
        public VlmJudgeConfig build() {
            if (baseUrl == null) {
                throw new IllegalArgumentException("baseUrl must be an http(s) URL such as http://127.0.0.1:8000/v1, got null");
            }
            String scheme = baseUrl.getScheme();
            if (scheme == null || !(scheme.equalsIgnoreCase("http") || scheme.equalsIgnoreCase("https"))
                    || baseUrl.getHost() == null) {
                throw new IllegalArgumentException("baseUrl must be an http(s) URL with a host, such as http://127.0.0.1:8000/v1, got "
                        + baseUrl);
            }
            if (baseUrl.getRawQuery() != null || baseUrl.getRawFragment() != null) {
                throw new IllegalArgumentException("baseUrl must have no query or fragment, got " + baseUrl);
            }
            if (model == null || model.isBlank()) {
                throw new IllegalArgumentException("model must be a non-blank served model name, got "
                        + (model == null ? "null" : "\"" + model + "\""));
            }
            if (questionTemplate == null || !questionTemplate.contains(PROMPT_PLACEHOLDER)) {
                throw new IllegalArgumentException("questionTemplate must contain " + PROMPT_PLACEHOLDER + ", got "
                        + (questionTemplate == null ? "null" : "\"" + questionTemplate + "\""));
            }
            if (scorePattern == null) {
                throw new IllegalArgumentException("scorePattern must be a regex with a capture group, got null");
            }
            Pattern compiled;
            try {
                compiled = Pattern.compile(scorePattern);
            } catch (PatternSyntaxException e) {
                throw new IllegalArgumentException("scorePattern must be a valid regex with a capture group, got \""
                        + scorePattern + "\": " + e.getDescription(), e);
            }
            if (compiled.matcher("").groupCount() < 1) {
                throw new IllegalArgumentException("scorePattern must have at least one capture group (the score), got \""
                        + scorePattern + "\"");
            }
            if (!(Double.isFinite(maxScore) && maxScore > 0)) {
                throw new IllegalArgumentException("maxScore must be finite and > 0, got " + maxScore);
            }
            if (!(temperature >= 0 && temperature <= MAX_TEMPERATURE)) {
                throw new IllegalArgumentException("temperature must be in [0, " + MAX_TEMPERATURE + "], got " + temperature);
            }
            if (concurrency < 1 || concurrency > MAX_CONCURRENCY) {
                throw new IllegalArgumentException("concurrency must be in [1, " + MAX_CONCURRENCY + "], got " + concurrency);
            }
            if (timeout == null || timeout.isZero() || timeout.isNegative() || timeout.compareTo(MAX_TIMEOUT) > 0) {
                throw new IllegalArgumentException("timeout must be in (0, " + MAX_TIMEOUT + "], got " + timeout);
            }
            if (maxTokens < 1 || maxTokens > MAX_MAX_TOKENS) {
                throw new IllegalArgumentException("maxTokens must be in [1, " + MAX_MAX_TOKENS + "], got " + maxTokens);
            }
            if (apiKey != null && apiKey.isBlank()) {
                throw new IllegalArgumentException("apiKey must be null (none) or non-blank, got a blank string");
            }
            return new VlmJudgeConfig(this, compiled);
        }
    }
}
