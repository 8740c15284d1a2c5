package io.diffrl4j.rewards.vlm;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import io.diffrl4j.rewards.image.ImageCodec;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.regex.Matcher;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A reward read from a vision-language judge (UnifiedReward, Qwen-VL, ...) behind an
 * OpenAI-compatible chat-completions server (vLLM, sglang), the way Flow-GRPO asks UnifiedReward
 * (docs/REWARDS.md). Name {@code "vlm"}.
 *
 * <p>Per image, one {@code POST} to {@link VlmJudgeConfig#chatCompletionsUri()} with the configured
 * model, temperature and {@code max_tokens}, and one user message whose content is an
 * {@code image_url} part ({@code data:image;base64,} and the image as PNG, values in [0, 1]
 * quantised to 8 bits; 1 or 3 channels) followed by a {@code text} part (the question template
 * with the prompt in it). The answer is {@code choices[0].message.content}; the score is the first
 * group of the score pattern's first match, divided by the max score. An answer without a match (or
 * without text) scores exactly 0, as in the reference; such answers are logged, returned by
 * {@link #judge} and counted by {@link #unparseableCount()}.
 *
 * <p>Requests run concurrently, at most {@link VlmJudgeConfig#concurrency()} in flight for this
 * reward as a whole (concurrent calls share the limit, so the server sees a bounded load however
 * many batches the trainer scores at once). Scores come back in input order whatever order the
 * answers arrive in. A transport failure (unreachable server, an HTTP status other than 200, a
 * reply that is not a chat completion, a request over the timeout) fails the whole call with an
 * {@link IOException} naming the URL and the image index; requests still in flight are then
 * cancelled and no new ones are sent. Thread-safe.
 */
public final class VlmJudgeReward implements RewardFunction {
    private static final Logger LOG = LoggerFactory.getLogger(VlmJudgeReward.class);
    /** How much of an answer or error body goes into a log line or an exception message. */
    private static final int EXCERPT = 300;

    private final VlmJudgeConfig config;
    private final HttpClient client;
    private final ObjectMapper json = new ObjectMapper();
    private final Semaphore permits;
    private final AtomicLong answerCount = new AtomicLong();
    private final AtomicLong unparseableCount = new AtomicLong();

    /** @param config the server, model, question and limits */
    public VlmJudgeReward(VlmJudgeConfig config) {
        this.config = config;
        // HTTP/1.1: vLLM's and sglang's servers speak no HTTP/2, and the h2c upgrade a default client
        // attempts on http:// is needless round-tripping at best.
        this.client = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.timeout())
                .build();
        this.permits = new Semaphore(config.concurrency(), true);
    }

    @Override
    public String name() {
        return "vlm";
    }

    /** @return the config this reward was built with */
    public VlmJudgeConfig config() {
        return config;
    }

    /** @return answers received since this reward was built, over all calls */
    public long answerCount() {
        return answerCount.get();
    }

    /** @return answers without a score (scored 0) since this reward was built, over all calls */
    public long unparseableCount() {
        return unparseableCount.get();
    }

    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) throws IOException, InterruptedException {
        return judge(images, prompts).scores();
    }

    /**
     * Scores a batch and keeps the judge's answers.
     *
     * @param images the images, 1 (grey) or 3 (RGB) channels, values in [0, 1]
     * @param prompts the prompt of each image, same order and count
     * @return the scores, answers and unparseable answers, input order
     * @throws IOException when a request fails (the message names the URL and the image index)
     * @throws InterruptedException when interrupted; requests in flight are cancelled
     */
    public VlmJudgeResult judge(ImageBatch images, List<Prompt> prompts) throws IOException, InterruptedException {
        int n = images.count();
        if (prompts.size() != n) {
            throw new IllegalArgumentException(n + " images for " + prompts.size() + " prompts");
        }
        int c = images.channels();
        if (c != 1 && c != 3) {
            throw new IllegalArgumentException("the VLM judge takes images with 1 or 3 channels, got " + c);
        }
        URI uri = config.chatCompletionsUri();
        List<CompletableFuture<HttpResponse<String>>> sent = new ArrayList<>(n);
        List<CompletableFuture<String>> answers = new ArrayList<>(n);
        AtomicReference<IOException> firstFailure = new AtomicReference<>();
        CompletableFuture<Void> failed = new CompletableFuture<>();
        try {
            for (int i = 0; i < n && !failed.isDone(); i++) {
                // Encoding here, before waiting for a permit, overlaps it with the requests in flight.
                HttpRequest request = request(uri, body(images, i, prompts.get(i).text()));
                permits.acquire();
                if (failed.isDone()) {
                    permits.release();
                    break;
                }
                CompletableFuture<HttpResponse<String>> exchange;
                try {
                    exchange = client.sendAsync(request, HttpResponse.BodyHandlers.ofString());
                } catch (RuntimeException e) {
                    permits.release();
                    throw e;
                }
                // The request timeout covers only the wait for the headers; this bounds the whole exchange.
                exchange.orTimeout(config.timeout().toMillis(), TimeUnit.MILLISECONDS);
                int index = i;
                CompletableFuture<String> answer = exchange.handle((r, e) -> {
                    if (e != null) {
                        throw new CompletionException(transportFailure(uri, index, unwrap(e)));
                    }
                    try {
                        return answerText(uri, index, r);
                    } catch (IOException io) {
                        throw new CompletionException(io);
                    }
                });
                // Runs on every outcome (answer, failure, timeout, cancellation), exactly once. The permit
                // goes back only after a failure is flagged, so that the loop sends nothing after one.
                answer.whenComplete((a, e) -> {
                    try {
                        if (e != null) {
                            Throwable cause = unwrap(e);
                            // Cancellations are our own doing after the first failure; that failure is the story.
                            if (cause instanceof IOException io && !(cause instanceof CancelledException)) {
                                firstFailure.compareAndSet(null, io);
                            } else if (!(cause instanceof CancelledException)) {
                                firstFailure.compareAndSet(null, new IOException("VLM judge request for image " + index
                                        + " to " + uri + " failed: " + cause, cause));
                            }
                            failed.complete(null);
                        }
                    } finally {
                        permits.release();
                    }
                });
                sent.add(exchange);
                answers.add(answer);
            }
            CompletableFuture<Void> all = CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new));
            try {
                CompletableFuture.anyOf(all, failed).get();
            } catch (ExecutionException e) {
                // A failed answer also completes "failed"; the recorded failure is read below.
            }
        } catch (Exception e) {
            // Interrupted, or an image failed to encode: nobody will read the answers in flight.
            sent.forEach(f -> f.cancel(true));
            throw e;
        }
        if (failed.isDone()) {
            sent.forEach(f -> f.cancel(true));
            IOException f = firstFailure.get();
            if (f == null) {
                throw new IOException("VLM judge requests to " + uri + " were cancelled");
            }
            // Rethrown on this thread so the trace shows the caller, with the worker's exception as cause.
            throw new IOException(f.getMessage(), f);
        }
        return collect(answers);
    }

    private VlmJudgeResult collect(List<CompletableFuture<String>> answers) {
        int n = answers.size();
        double[] scores = new double[n];
        List<String> texts = new ArrayList<>(n);
        List<Integer> bad = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            String text = answers.get(i).join();
            texts.add(text);
            double raw = rawScore(text);
            if (Double.isNaN(raw)) {
                bad.add(i);
                LOG.debug("VLM judge answer for image {} holds no score matching /{}/; scored 0: {}", i,
                        config.scorePattern().pattern(), excerpt(text));
            } else {
                scores[i] = raw / config.maxScore();
            }
        }
        answerCount.addAndGet(n);
        unparseableCount.addAndGet(bad.size());
        if (!bad.isEmpty()) {
            LOG.warn("{} of {} VLM judge answers held no score matching /{}/ and were scored 0 (images {}); first: {}",
                    bad.size(), n, config.scorePattern().pattern(), bad, excerpt(texts.get(bad.get(0))));
        }
        return new VlmJudgeResult(scores, texts, bad.stream().mapToInt(Integer::intValue).toArray());
    }

    /**
     * @param answer the judge's text, or null
     * @return the raw score (first group of the first match), or NaN when there is none
     */
    double rawScore(String answer) {
        if (answer == null) {
            return Double.NaN;
        }
        Matcher m = config.scorePattern().matcher(answer);
        if (!m.find() || m.group(1) == null) {
            return Double.NaN;
        }
        try {
            double v = Double.parseDouble(m.group(1).trim());
            return Double.isFinite(v) ? v : Double.NaN;
        } catch (NumberFormatException e) {
            // The reference scores an unreadable number 0, like a missing one.
            return Double.NaN;
        }
    }

    private HttpRequest request(URI uri, byte[] body) {
        HttpRequest.Builder b = HttpRequest.newBuilder(uri)
                .timeout(config.timeout())
                .header("Content-Type", "application/json")
                .header("Accept", "application/json")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body));
        if (config.apiKey() != null) {
            b.header("Authorization", "Bearer " + config.apiKey());
        }
        return b.build();
    }

    /** The chat-completions request of image {@code i}: one user message, image part then text part. */
    private byte[] body(ImageBatch images, int i, String prompt) throws IOException {
        ObjectNode root = json.createObjectNode();
        root.put("model", config.model());
        ArrayNode messages = root.putArray("messages");
        ObjectNode message = messages.addObject();
        message.put("role", "user");
        ArrayNode content = message.putArray("content");
        ObjectNode image = content.addObject();
        image.put("type", "image_url");
        image.putObject("image_url").put("url", "data:image;base64," + Base64.getEncoder().encodeToString(png(images, i)));
        ObjectNode text = content.addObject();
        text.put("type", "text");
        text.put("text", config.question(prompt));
        root.put("temperature", config.temperature());
        root.put("max_tokens", config.maxTokens());
        return json.writeValueAsBytes(root);
    }

    /**
     * @param images the batch
     * @param i an image index
     * @return image {@code i} as PNG bytes (8-bit RGB, see {@link ImageCodec})
     */
    static byte[] png(ImageBatch images, int i) {
        return ImageCodec.png(ImageCodec.toRgb(images, i));
    }

    /** The answer text of a 200 reply, or an IOException for any other reply. */
    private String answerText(URI uri, int index, HttpResponse<String> r) throws IOException {
        if (r.statusCode() != 200) {
            throw new IOException("VLM judge at " + uri + " answered image " + index + " with HTTP " + r.statusCode() + ": "
                    + excerpt(r.body()));
        }
        JsonNode root;
        try {
            root = json.readTree(r.body());
        } catch (JsonProcessingException e) {
            throw new IOException("VLM judge at " + uri + " answered image " + index + " with a body that is not JSON: "
                    + excerpt(r.body()), e);
        }
        JsonNode message = root == null ? null : root.path("choices").path(0).path("message");
        if (message == null || !message.isObject()) {
            throw new IOException("VLM judge at " + uri + " answered image " + index
                    + " with JSON that is not a chat completion (no choices[0].message): " + excerpt(r.body()));
        }
        JsonNode content = message.path("content");
        if (content.isTextual()) {
            return content.asText();
        }
        if (content.isArray()) {
            // Some servers return content as parts; the text parts are the answer.
            StringBuilder b = new StringBuilder();
            content.forEach(p -> {
                if ("text".equals(p.path("type").asText()) && p.path("text").isTextual()) {
                    b.append(p.path("text").asText());
                }
            });
            return b.toString();
        }
        // null or absent content: no text, hence no score (the caller scores it 0 and counts it).
        return null;
    }

    private IOException transportFailure(URI uri, int index, Throwable e) {
        if (e instanceof CancellationException) {
            return new CancelledException();
        }
        if (e instanceof HttpTimeoutException || e instanceof TimeoutException) {
            return new IOException("VLM judge at " + uri + " did not answer image " + index + " within "
                    + config.timeout().toMillis() + " ms", e);
        }
        if (e instanceof ConnectException) {
            return new IOException("VLM judge at " + uri + " is unreachable (image " + index + "): " + e, e);
        }
        return new IOException("VLM judge request for image " + index + " to " + uri + " failed: " + e, e);
    }

    private static Throwable unwrap(Throwable e) {
        Throwable t = e;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    private static String excerpt(String s) {
        if (s == null) {
            return "(no text)";
        }
        String flat = s.replace('\n', ' ').replace('\r', ' ');
        return flat.length() <= EXCERPT ? "\"" + flat + "\"" : "\"" + flat.substring(0, EXCERPT) + "...\" (" + flat.length()
                + " chars)";
    }

    @Override
    public String toString() {
        return "VlmJudgeReward{" + config + "}";
    }

    /** Marks a request we cancelled ourselves, so that it never masks the failure that caused it. */
    private static final class CancelledException extends IOException {
        private static final long serialVersionUID = 1L;

        CancelledException() {
            super("cancelled");
        }
    }
}
