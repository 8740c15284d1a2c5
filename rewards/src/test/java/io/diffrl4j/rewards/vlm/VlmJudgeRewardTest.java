package io.diffrl4j.rewards.vlm;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import java.awt.image.BufferedImage;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.BrokenBarrierException;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CyclicBarrier;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.IntStream;
import javax.imageio.ImageIO;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The VLM judge against a stub chat-completions server on loopback: wire format, scores, limits, failures. */
@Timeout(value = 20, unit = TimeUnit.SECONDS)
class VlmJudgeRewardTest {
    /** A template that makes the prompt easy for the stub to read back. */
    private static final String TEMPLATE = "Caption: {prompt}";

    private static VlmJudgeConfig.Builder config(URI base) {
        return VlmJudgeConfig.builder(base).optQuestionTemplate(TEMPLATE);
    }

    /** @return the prompt the stub received (the text part minus the template's prefix) */
    private static String promptOf(StubChatServer.Received r) {
        return r.text().substring("Caption: ".length());
    }

    /** n seeded random RGB images of h x w. */
    private static ImageBatch images(int n, int channels, int h, int w, long seed) {
        Random rng = new Random(seed);
        float[] data = new float[n * channels * h * w];
        for (int i = 0; i < data.length; i++) {
            data[i] = rng.nextFloat();
        }
        return new ImageBatch(data, n, channels, h, w);
    }

    /** Prompts "p0", "p1", ... */
    private static List<Prompt> prompts(int n) {
        return IntStream.range(0, n).mapToObj(i -> Prompt.of("p" + i)).toList();
    }

    /** The image index of prompt "p<i>". */
    private static int index(StubChatServer.Received r) {
        return Integer.parseInt(promptOf(r).substring(1));
    }

    @Test
    void scoresAreNormalisedAndReturnedInInputOrderWhenAnswersArriveReversed() throws Exception {
        String[] answers = {
            "The image matches the caption well. Final Score: 4",
            "Some details are off.\nFinal Score: 3.5",
            "Final Score:5",
            "Poor alignment. Final Score: 1",
            "Final Score: 2.25, mostly for colour",
            "Final Score: 3 (Final Score: 5 would be too generous)",
        };
        int n = answers.length;
        // Request i is answered only after the reply to request i + 1 was sent: replies go out in reverse.
        CountDownLatch[] replied = new CountDownLatch[n + 1];
        for (int i = 0; i <= n; i++) {
            replied[i] = new CountDownLatch(i == n ? 0 : 1);
        }
        try (StubChatServer stub = new StubChatServer(r -> {
            int i = index(r);
            if (!replied[i + 1].await(10, TimeUnit.SECONDS)) {
                throw new TimeoutException("request " + (i + 1) + " was never answered");
            }
            return StubChatServer.answer(answers[i]);
        }, r -> replied[index(r)].countDown())) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(8).build());
            VlmJudgeResult result = reward.judge(images(n, 3, 8, 8, 1), prompts(n));
            assertArrayEquals(new double[] {0.8, 0.7, 1.0, 0.2, 0.45, 0.6}, result.scores(), 1e-12);
            assertEquals(List.of("Caption: p5", "Caption: p4", "Caption: p3", "Caption: p2", "Caption: p1", "Caption: p0"),
                    stub.answeredTexts(), "the stub must have replied in reverse order");
            assertEquals(List.of(answers), result.answers());
            assertEquals(0, result.unparseableCount());
            assertEquals(n, reward.answerCount());
            assertEquals(0, reward.unparseableCount());
            assertEquals("vlm", reward.name());
        }
    }

    @Test
    void requestBodyIsOneUserMessageWithAPngImagePartAndTheQuestion() throws Exception {
        ImageBatch images = images(2, 3, 4, 5, 7);
        List<Prompt> prompts = List.of(Prompt.of("a red cat"), Prompt.of("two \"blue\" dogs"));
        try (StubChatServer stub = new StubChatServer(r -> StubChatServer.answer("Final Score: 2"))) {
            VlmJudgeConfig cfg = config(stub.base()).optModel("judge-model").optMaxTokens(77).optApiKey("secret").build();
            double[] scores = new VlmJudgeReward(cfg).score(images, prompts);
            assertArrayEquals(new double[] {0.4, 0.4}, scores, 1e-12);
            assertEquals(2, stub.received().size());
            for (StubChatServer.Received r : stub.received()) {
                assertEquals("POST", r.method());
                assertEquals("/v1/chat/completions", r.path());
                assertEquals("application/json", r.headers().getFirst("Content-Type"));
                assertEquals("Bearer secret", r.headers().getFirst("Authorization"));
                JsonNode body = r.body();
                assertEquals(Set.of("model", "messages", "temperature", "max_tokens"), fieldNames(body));
                assertEquals("judge-model", body.get("model").asText());
                assertTrue(body.get("temperature").isNumber());
                assertEquals(0.0, body.get("temperature").asDouble(), 0.0);
                assertEquals(77, body.get("max_tokens").asInt());
                JsonNode messages = body.get("messages");
                assertEquals(1, messages.size());
                assertEquals("user", messages.get(0).get("role").asText());
                JsonNode content = messages.get(0).get("content");
                assertEquals(2, content.size());
                assertEquals("image_url", content.get(0).get("type").asText());
                assertEquals("text", content.get(1).get("type").asText());
                int i = r.text().equals("Caption: a red cat") ? 0 : 1;
                assertEquals("Caption: " + prompts.get(i).text(), r.text());
                String url = content.get(0).get("image_url").get("url").asText();
                String prefix = "data:image;base64,";
                assertTrue(url.startsWith(prefix), url.substring(0, Math.min(40, url.length())));
                byte[] png = Base64.getDecoder().decode(url.substring(prefix.length()));
                assertEquals(0x89, png[0] & 0xff, "PNG signature");
                assertEquals("PNG", new String(png, 1, 3, java.nio.charset.StandardCharsets.US_ASCII));
                assertSamePixels(images, i, ImageIO.read(new ByteArrayInputStream(png)));
            }
            Set<String> seen = Set.of(stub.received().get(0).text(), stub.received().get(1).text());
            assertEquals(Set.of("Caption: a red cat", "Caption: two \"blue\" dogs"), seen);
        }
    }

    @Test
    void theDefaultQuestionCarriesThePromptAndNoKeyMeansNoAuthorization() throws Exception {
        try (StubChatServer stub = new StubChatServer(r -> StubChatServer.answer("Final Score: 5"))) {
            VlmJudgeConfig cfg = VlmJudgeConfig.builder(stub.root()).build();
            assertArrayEquals(new double[] {1.0}, new VlmJudgeReward(cfg).score(images(1, 3, 2, 2, 3), List.of(Prompt.of("a cat"))), 0);
            StubChatServer.Received r = stub.received().get(0);
            assertEquals("/v1/chat/completions", r.path(), "a base without /v1 gets it added");
            assertEquals(VlmJudgeConfig.DEFAULT_QUESTION_TEMPLATE.replace("{prompt}", "a cat"), r.text());
            assertTrue(r.text().contains("[a cat]"));
            assertEquals(VlmJudgeConfig.DEFAULT_MODEL, r.body().get("model").asText());
            assertEquals(VlmJudgeConfig.DEFAULT_MAX_TOKENS, r.body().get("max_tokens").asInt());
            assertNull(r.headers().getFirst("Authorization"));
        }
    }

    @Test
    void pngRoundTripsGreyAndRgbToWithinHalfALevel() throws Exception {
        for (int channels : new int[] {1, 3}) {
            ImageBatch images = images(2, channels, 6, 3, 11 + channels);
            for (int i = 0; i < 2; i++) {
                assertSamePixels(images, i, ImageIO.read(new ByteArrayInputStream(VlmJudgeReward.png(images, i))));
            }
        }
        // Out-of-range values are clamped rather than wrapped.
        ImageBatch extreme = new ImageBatch(new float[] {-0.5f, 1.5f, Float.NaN}, 1, 1, 1, 3);
        BufferedImage img = ImageIO.read(new ByteArrayInputStream(VlmJudgeReward.png(extreme, 0)));
        assertArrayEquals(new int[] {0, 255, 0}, img.getRaster().getSamples(0, 0, 3, 1, 0, new int[3]));
    }

    @Test
    void malformedAnswersScoreZeroAndAreCounted() throws Exception {
        Map<String, String> answers = Map.of(
                "p0", "Final Score: 4",
                "p1", "I cannot judge this image.",
                "p2", "Final Score: 7",
                "p3", "final score: 3",
                "p4", "Final Score: 1.5");
        try (StubChatServer stub = new StubChatServer(r -> StubChatServer.answer(
                promptOf(r).equals("p5") ? null : answers.get(promptOf(r))))) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).build());
            VlmJudgeResult result = reward.judge(images(6, 3, 2, 2, 5), prompts(6));
            // "Final Score: 7" is outside [1-5], "final score" is the wrong case, p5 has null content.
            assertArrayEquals(new double[] {0.8, 0, 0, 0, 0.3, 0}, result.scores(), 1e-12);
            assertArrayEquals(new int[] {1, 2, 3, 5}, result.unparseable());
            assertEquals(4, result.unparseableCount());
            assertEquals("I cannot judge this image.", result.answers().get(1));
            assertNull(result.answers().get(5));
            assertEquals(6, reward.answerCount());
            assertEquals(4, reward.unparseableCount());
            reward.score(images(2, 3, 2, 2, 6), prompts(2));
            assertEquals(8, reward.answerCount());
            assertEquals(5, reward.unparseableCount(), "the counters accumulate over calls");
        }
    }

    @Test
    void aCustomPatternAndMaxScoreNormalise() throws Exception {
        try (StubChatServer stub = new StubChatServer(r -> StubChatServer.answer("score=" + promptOf(r).substring(1) + "/10"))) {
            VlmJudgeConfig cfg = config(stub.base()).optScorePattern("score=(\\d+)/10").optMaxScore(10).build();
            assertArrayEquals(new double[] {0.0, 0.1, 0.2, 0.3}, new VlmJudgeReward(cfg).score(images(4, 3, 2, 2, 1), prompts(4)),
                    1e-12);
        }
    }

    @Test
    void atMostTheConcurrencyLimitIsInFlight() throws Exception {
        // Requests wait for each other in threes, then are held 100 ms: a client sending more than 3 at
        // once would show a maximum above 3, one sending fewer would time the barrier out at 2.
        CyclicBarrier three = new CyclicBarrier(3);
        try (StubChatServer stub = new StubChatServer(r -> {
            hold(three);
            return StubChatServer.answer("Final Score: " + (1 + index(r) % 5));
        })) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(3).build());
            double[] scores = reward.score(images(12, 3, 4, 4, 2), prompts(12));
            assertEquals(3, stub.maxInFlight());
            assertEquals(12, stub.received().size());
            double[] expected = IntStream.range(0, 12).mapToDouble(i -> (1 + i % 5) / 5.0).toArray();
            assertArrayEquals(expected, scores, 1e-12);
        }
    }

    @Test
    void concurrentCallsShareTheLimit() throws Exception {
        CyclicBarrier three = new CyclicBarrier(3);
        try (StubChatServer stub = new StubChatServer(r -> {
            hold(three);
            return StubChatServer.answer("Final Score: 2");
        })) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(3).build());
            ExecutorService callers = Executors.newFixedThreadPool(2);
            try {
                List<Future<double[]>> calls = new ArrayList<>();
                for (int c = 0; c < 2; c++) {
                    calls.add(callers.submit(() -> reward.score(images(6, 3, 4, 4, 3), prompts(6))));
                }
                for (Future<double[]> f : calls) {
                    assertArrayEquals(new double[] {0.4, 0.4, 0.4, 0.4, 0.4, 0.4}, f.get(), 1e-12);
                }
            } finally {
                callers.shutdownNow();
            }
            assertEquals(3, stub.maxInFlight());
            assertEquals(12, stub.received().size());
            assertEquals(12, reward.answerCount());
        }
    }

    /** Waits for two other requests (up to 5 s, so a broken limit fails an assertion rather than hangs), then holds 100 ms. */
    private static void hold(CyclicBarrier three) throws InterruptedException {
        try {
            three.await(5, TimeUnit.SECONDS);
        } catch (BrokenBarrierException | TimeoutException e) {
            // Reported through maxInFlight.
        }
        Thread.sleep(100);
    }

    @Test
    void http500FailsTheCallNamingUrlImageAndStatusAndSendsNothingMore() throws Exception {
        try (StubChatServer stub = new StubChatServer(r -> index(r) == 2 ? new StubChatServer.Reply(500, "model crashed")
                : StubChatServer.answer("Final Score: 3"))) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(1).build());
            IOException e = assertThrows(IOException.class, () -> reward.score(images(5, 3, 2, 2, 1), prompts(5)));
            String url = stub.base() + "/chat/completions";
            assertEquals("VLM judge at " + url + " answered image 2 with HTTP 500: \"model crashed\"", e.getMessage());
            assertEquals(3, stub.received().size(), "no request after the failure");
            assertEquals(0, reward.answerCount(), "a failed call counts no answers");
        }
    }

    @Test
    void aReplyThatIsNotAChatCompletionFailsTheCall() throws Exception {
        try (StubChatServer stub = new StubChatServer(r -> new StubChatServer.Reply(200, "{\"error\": \"overloaded\"}"))) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(1).build());
            IOException e = assertThrows(IOException.class, () -> reward.score(images(1, 3, 2, 2, 1), prompts(1)));
            assertTrue(e.getMessage().startsWith("VLM judge at " + stub.base() + "/chat/completions answered image 0 with JSON"
                    + " that is not a chat completion"), e.getMessage());
        }
        try (StubChatServer stub = new StubChatServer(r -> new StubChatServer.Reply(200, "<html>proxy error</html>"))) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optConcurrency(1).build());
            IOException e = assertThrows(IOException.class, () -> reward.score(images(1, 3, 2, 2, 1), prompts(1)));
            assertTrue(e.getMessage().contains("answered image 0 with a body that is not JSON"), e.getMessage());
        }
    }

    @Test
    void aServerThatIsDownFailsTheCallNamingUrlAndImage() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, java.net.InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        URI base = URI.create("http://127.0.0.1:" + port + "/v1");
        VlmJudgeReward reward = new VlmJudgeReward(config(base).optConcurrency(1).build());
        IOException e = assertThrows(IOException.class, () -> reward.score(images(3, 3, 2, 2, 1), prompts(3)));
        assertTrue(e.getMessage().startsWith("VLM judge at " + base + "/chat/completions is unreachable (image 0): "),
                e.getMessage());
        assertTrue(e.getCause().getCause() instanceof java.net.ConnectException, String.valueOf(e.getCause().getCause()));
    }

    @Test
    void aRequestOverTheTimeoutFailsTheCallPromptly() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (StubChatServer stub = new StubChatServer(r -> {
            release.await(10, TimeUnit.SECONDS);
            return StubChatServer.answer("Final Score: 3");
        })) {
            VlmJudgeReward reward = new VlmJudgeReward(config(stub.base()).optTimeout(Duration.ofMillis(300)).build());
            long start = System.nanoTime();
            IOException e = assertThrows(IOException.class, () -> reward.score(images(1, 3, 2, 2, 1), prompts(1)));
            long millis = (System.nanoTime() - start) / 1_000_000;
            assertEquals("VLM judge at " + stub.base() + "/chat/completions did not answer image 0 within 300 ms", e.getMessage());
            assertTrue(millis >= 300 && millis < 5000, millis + " ms");
        } finally {
            release.countDown();
        }
    }

    @Test
    void mismatchedCountsAndUnsupportedChannelsAreRefusedBeforeAnyRequest() {
        VlmJudgeReward reward = new VlmJudgeReward(config(URI.create("http://127.0.0.1:9/v1")).build());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> reward.score(images(2, 3, 2, 2, 1), prompts(3)));
        assertEquals("2 images for 3 prompts", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> reward.score(images(1, 2, 2, 2, 1), prompts(1)));
        assertEquals("the VLM judge takes images with 1 or 3 channels, got 2", e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> reward.score(images(1, 4, 2, 2, 1), prompts(1)));
        assertEquals("the VLM judge takes images with 1 or 3 channels, got 4", e.getMessage());
    }

    @Test
    void anEmptyBatchSendsNothing() throws Exception {
        VlmJudgeReward reward = new VlmJudgeReward(config(URI.create("http://127.0.0.1:9/v1")).build());
        assertEquals(0, reward.score(new ImageBatch(new float[0], 0, 3, 2, 2), List.of()).length);
    }

    private static Set<String> fieldNames(JsonNode node) {
        Set<String> names = new java.util.HashSet<>();
        Iterator<String> it = node.fieldNames();
        it.forEachRemaining(names::add);
        return names;
    }

    /** Every channel of {@code decoded} is within half an 8-bit level of image {@code i}. */
    private static void assertSamePixels(ImageBatch images, int i, BufferedImage decoded) {
        assertEquals(images.width(), decoded.getWidth());
        assertEquals(images.height(), decoded.getHeight());
        int c = images.channels();
        assertEquals(3, decoded.getRaster().getNumBands()); // grey images are sent as grey RGB
        double worst = 0;
        for (int y = 0; y < images.height(); y++) {
            for (int x = 0; x < images.width(); x++) {
                for (int ch = 0; ch < 3; ch++) {
                    double v = decoded.getRaster().getSample(x, y, ch) / 255.0;
                    worst = Math.max(worst, Math.abs(v - images.get(i, c == 1 ? 0 : ch, y, x)));
                }
            }
        }
        assertTrue(worst <= 0.5 / 255 + 1e-6, "worst pixel error " + worst * 255 + " levels");
    }
}
