package io.diffrl4j.rewards.geneval;

import io.diffrl4j.rewards.image.JpegCodec;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The GenEval client against a stub server on loopback: batching and order, the reply's numbers,
 * and every failure it must report clearly (server down, HTTP 500, timeout, retries, bad replies).
 */
class GenevalClientTest {
    private static final List<String> TAGS = GenEvalMetadata.TAGS;
    private static final int SIDE = 8;

    /** A reply: status and body. */
    private record Reply(int status, byte[] body, boolean chunked) {
        Reply(int status, byte[] body) {
            this(status, body, false);
        }
    }

    /** What the stub does with one parsed request (attempt counts from 0). */
    @FunctionalInterface
    private interface Behaviour {
        Reply reply(int attempt, Map<?, ?> request) throws Exception;
    }

    private Stub stub;

    @AfterEach
    void stopStub() {
        if (stub != null) {
            stub.close();
        }
    }

    /** A GenEval server stand-in that records what it receives. */
    private static final class Stub implements AutoCloseable {
        private final HttpServer server;
        private final ExecutorService executor = Executors.newCachedThreadPool();
        private final AtomicInteger attempts = new AtomicInteger();
        private final List<Map<?, ?>> requests = Collections.synchronizedList(new ArrayList<>());

        Stub(Behaviour behaviour) throws IOException {
            server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
            server.setExecutor(executor);
            server.createContext("/", ex -> handle(ex, behaviour));
            server.start();
        }

        private void handle(HttpExchange ex, Behaviour behaviour) throws IOException {
            try {
                int attempt = attempts.getAndIncrement();
                Reply r;
                try {
                    Map<?, ?> request = (Map<?, ?>) new SafePickleReader(1 << 24, "request").read(ex.getRequestBody());
                    requests.add(request);
                    r = behaviour.reply(attempt, request);
                } catch (Exception e) {
                    r = new Reply(599, ("stub failed: " + e).getBytes(StandardCharsets.UTF_8));
                }
                ex.sendResponseHeaders(r.status(), r.chunked() ? 0 : r.body().length);
                try (OutputStream out = ex.getResponseBody()) {
                    out.write(r.body());
                }
            } finally {
                ex.close();
            }
        }

        URI uri() {
            return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/");
        }

        @Override
        public void close() {
            server.stop(0);
            executor.shutdownNow();
        }
    }

    /**
     * The echo server: score = the red value of the image's top-left pixel (after JPEG), strict =
     * the number in the prompt ("p17" gives 17), reward = 1 (0 when only strict).
     */
    private static Reply echo(Map<?, ?> request) throws IOException {
        List<?> images = (List<?>) request.get("images");
        List<?> metas = (List<?>) request.get("meta_datas");
        boolean onlyStrict = (Boolean) request.get("only_strict");
        List<Double> scores = new ArrayList<>();
        List<Double> strict = new ArrayList<>();
        List<Double> rewards = new ArrayList<>();
        for (int i = 0; i < images.size(); i++) {
            ImageBatch img = JpegCodec.decode((byte[]) images.get(i), 1 << 20);
            scores.add((double) img.get(0, 0, 0, 0));
            strict.add(Double.parseDouble(((String) ((Map<?, ?>) metas.get(i)).get("prompt")).substring(1)));
            rewards.add(onlyStrict ? 0.0 : 1.0);
        }
        return ok(reply(scores, rewards, strict));
    }

    private static Map<String, Object> reply(List<?> scores, List<?> rewards, List<?> strict) {
        Map<String, Object> groups = new LinkedHashMap<>();
        for (String t : TAGS) {
            groups.put(t, Collections.nCopies(scores.size(), -10.0));
        }
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("scores", scores);
        m.put("rewards", rewards);
        m.put("strict_rewards", strict);
        m.put("group_rewards", groups);
        m.put("group_strict_rewards", groups);
        return m;
    }

    private static Reply ok(Object value) {
        return new Reply(200, PickleWriter.toBytes(value));
    }

    /** Image i is a uniform grey of level(i); prompt i is "p{i}" with single-object metadata. */
    private static float level(int i) {
        return (i % 50) / 49f;
    }

    private static ImageBatch images(int n) {
        int size = 3 * SIDE * SIDE;
        float[] data = new float[n * size];
        for (int i = 0; i < n; i++) {
            java.util.Arrays.fill(data, i * size, (i + 1) * size, level(i));
        }
        return new ImageBatch(data, n, 3, SIDE, SIDE);
    }

    private static List<Prompt> prompts(int n) {
        List<Prompt> out = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            out.add(new Prompt("p" + i, Map.of("tag", "single_object", "prompt", "p" + i,
                    "include", List.of(Map.of("class", "circle", "count", 1)), "exclude", List.of())));
        }
        return out;
    }

    private GenEvalClient.Config.Builder config(URI uri) {
        return GenEvalClient.Config.builder(uri).optSleeper(d -> { });
    }

    @Test
    void splitsIntoRequestsOfAtMost64AndKeepsOrder() throws Exception {
        stub = new Stub((attempt, request) -> echo(request));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).build());
        assertEquals("geneval", client.name());
        List<GenEvalOutcome> out = client.evaluate(images(130), prompts(130));
        assertEquals(List.of(64, 64, 2), stub.requests.stream().map(r -> ((List<?>) r.get("images")).size()).toList());
        assertEquals(130, out.size());
        for (int i = 0; i < 130; i++) {
            assertEquals(i, out.get(i).strictReward(), "image " + i + " comes back in its place");
            // a uniform 8x8 image survives JPEG at quality 95 to within one grey level
            assertEquals(Math.round(level(i) * 255) / 255.0, out.get(i).score(), 1.01 / 255, "image " + i);
            assertEquals(1.0, out.get(i).reward());
        }
        // what went over the wire: JPEG bytes, the prompts' metadata as GenEvalMetadata gives it, only_strict false
        Map<?, ?> first = stub.requests.get(0);
        assertEquals(false, first.get("only_strict"));
        byte[] jpeg = (byte[]) ((List<?>) first.get("images")).get(0);
        assertEquals(0xff, jpeg[0] & 0xff);
        assertEquals(0xd8, jpeg[1] & 0xff);
        assertEquals(GenEvalMetadata.metadata(prompts(1).get(0)), ((List<?>) first.get("meta_datas")).get(0));
        // score() is the partial score
        assertArrayEquals(out.stream().mapToDouble(GenEvalOutcome::score).toArray(), client.score(images(130), prompts(130)));
        assertEquals(6, stub.requests.size());
    }

    @Test
    void onlyStrictAndSmallerBatches() throws Exception {
        stub = new Stub((attempt, request) -> echo(request));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optBatchSize(3).optOnlyStrict(true).build());
        List<GenEvalOutcome> out = client.evaluate(images(7), prompts(7));
        assertEquals(List.of(3, 3, 1), stub.requests.stream().map(r -> ((List<?>) r.get("images")).size()).toList());
        assertTrue(stub.requests.stream().allMatch(r -> Boolean.TRUE.equals(r.get("only_strict"))));
        assertTrue(out.stream().allMatch(o -> o.reward() == 0.0 && !o.correct()));
        assertEquals(List.of(), client.evaluate(images(0), prompts(0)), "nothing to score, nothing sent");
        assertEquals(3, stub.requests.size());
    }

    @Test
    void serverDownNamesTheUrl() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        List<Duration> slept = new ArrayList<>();
        GenEvalClient client = new GenEvalClient(GenEvalClient.Config.builder(URI.create("http://127.0.0.1:" + port + "/"))
                .optRetries(2).optBackoff(Duration.ofMillis(10)).optSleeper(slept::add).build());
        IOException e = assertThrows(IOException.class, () -> client.score(images(2), prompts(2)));
        String url = "http://127.0.0.1:" + port + "/";
        assertEquals("GenEval request for images 0 to 1 at " + url + " failed after 3 attempts: cannot connect (connection refused: "
                + "is the GenEval server running at " + url + "?)", e.getMessage());
        assertEquals(List.of(Duration.ofMillis(10), Duration.ofMillis(20)), slept);
    }

    private static final String TRACEBACK = """
            Traceback (most recent call last):
              File "/srv/reward-server/app.py", line 61, in score
                results = evaluate_images(images, meta_datas)
              File "/srv/reward-server/geneval.py", line 210, in evaluate_images
                detections = detector(batch)
              File "/srv/mmdet/apis/inference.py", line 188, in inference_detector
                results = model.test_step(data)
              File "/srv/torch/nn/modules/module.py", line 1501, in _call_impl
                return forward_call(*args, **kwargs)
              File "/srv/mmdet/models/detectors/base.py", line 120, in test_step
                return self.predict(inputs)
            torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB
            """;

    @Test
    void http500ShowsTheTracebacksStartAndEnd() throws Exception {
        stub = new Stub((attempt, request) -> new Reply(500, TRACEBACK.getBytes(StandardCharsets.UTF_8)));
        List<Duration> slept = new ArrayList<>();
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optRetries(1).optSleeper(slept::add).build());
        IOException e = assertThrows(IOException.class, () -> client.evaluate(images(3), prompts(3)));
        String m = e.getMessage();
        assertTrue(m.startsWith("GenEval request for images 0 to 2 at " + stub.uri() + " failed after 2 attempts: HTTP 500 from the server:\n"
                + "Traceback (most recent call last):\n  File \"/srv/reward-server/app.py\", line 61, in score\n"), m);
        assertTrue(m.endsWith("torch.cuda.OutOfMemoryError: CUDA out of memory. Tried to allocate 2.00 GiB"), m);
        // 12 lines: the first 6 and the last 4 are kept
        assertTrue(m.contains("in inference_detector\n... (2 lines)\n    return forward_call(*args, **kwargs)\n"), m);
        assertFalse(m.contains("model.test_step"), "the middle of a long traceback is left out: " + m);
        assertEquals(2, stub.attempts.get());
        assertEquals(List.of(Duration.ofSeconds(1)), slept, "the default backoff");
    }

    @Test
    void aSlowServerTimesOut() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        stub = new Stub((attempt, request) -> {
            release.await(10, TimeUnit.SECONDS);
            return echo(request);
        });
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optTimeout(Duration.ofMillis(300)).optRetries(0).build());
        long t0 = System.nanoTime();
        try {
            IOException e = assertThrows(IOException.class, () -> client.evaluate(images(1), prompts(1)));
            assertEquals("GenEval request for images 0 to 0 at " + stub.uri() + " failed after 1 attempt: no reply within 300 ms"
                    + " (the request timeout)", e.getMessage());
        } finally {
            release.countDown();
        }
        double seconds = (System.nanoTime() - t0) / 1e9;
        assertTrue(seconds >= 0.29 && seconds < 3, "gave up after the timeout, not before and not much later: " + seconds + " s");
    }

    @Test
    void retriesWithDoublingBackoffThenSucceeds() throws Exception {
        stub = new Stub((attempt, request) -> attempt < 3 ? new Reply(503, "busy".getBytes(StandardCharsets.UTF_8)) : echo(request));
        List<Duration> slept = new ArrayList<>();
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optSleeper(slept::add).build());
        List<GenEvalOutcome> out = client.evaluate(images(2), prompts(2));
        assertEquals(4, stub.attempts.get(), "three failures, then the fourth attempt (the default 3 retries)");
        assertEquals(List.of(Duration.ofSeconds(1), Duration.ofSeconds(2), Duration.ofSeconds(4)), slept);
        assertEquals(List.of(0.0, 1.0), out.stream().map(GenEvalOutcome::strictReward).toList());
    }

    @Test
    void clientErrorsAndBadRepliesAreNotRetried() throws Exception {
        List<Duration> slept = new ArrayList<>();
        stub = new Stub((attempt, request) -> new Reply(404, "no such path".getBytes(StandardCharsets.UTF_8)));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optSleeper(slept::add).build());
        IOException e = assertThrows(IOException.class, () -> client.evaluate(images(1), prompts(1)));
        assertEquals("GenEval request for images 0 to 0 at " + stub.uri() + " failed: HTTP 404 from the server:\nno such path", e.getMessage());
        assertEquals(1, stub.attempts.get());
        assertEquals(List.of(), slept);
    }

    @Test
    void aReplyWithTheWrongCountIsRefused() throws Exception {
        assertBadReply(ok(reply(List.of(0.5), List.of(1.0, 1.0), List.of(1.0, 1.0))), "the GenEval reply has 1 scores for 2 images (images 0 to 1)");
        assertBadReply(ok(reply(List.of(0.5, 1.0), List.of(1.0, 1.0), List.of(1.0, 1.0, 0.0))),
                "the GenEval reply has 3 strict_rewards for 2 images (images 0 to 1)");
    }

    @Test
    void aNanScoreIsRefused() throws Exception {
        assertBadReply(ok(reply(List.of(0.5, Double.NaN), List.of(1.0, 1.0), List.of(1.0, 1.0))),
                "the GenEval reply's scores[1] (image 1) is NaN: a reward must be finite");
        assertBadReply(ok(reply(List.of(0.5, "1.0"), List.of(1.0, 1.0), List.of(1.0, 1.0))),
                "the GenEval reply's scores[1] (image 1) is '1.0' (String), not a number");
    }

    @Test
    void aReplyThatIsNotTheDictIsRefused() throws Exception {
        assertBadReply(ok(List.of(0.5, 1.0)), "the GenEval reply for images 0 to 1 is a list, not a dict");
        Map<String, Object> noGroups = reply(List.of(0.5, 1.0), List.of(1.0, 1.0), List.of(1.0, 1.0));
        noGroups.remove("group_rewards");
        assertBadReply(ok(noGroups), "the GenEval reply lacks 'group_rewards' (it has [scores, rewards, strict_rewards, group_strict_rewards])");
        Map<String, Object> shortGroup = reply(List.of(0.5, 1.0), List.of(1.0, 1.0), List.of(1.0, 1.0));
        shortGroup.put("group_strict_rewards", Map.of("colors", List.of(-10.0)));
        assertBadReply(ok(shortGroup), "the GenEval reply has 1 group_strict_rewards['colors'] for 2 images");
        // a reply that pickles a call is refused before anything runs
        assertBadReply(new Reply(200, java.util.HexFormat.of().parseHex("80048c05706f736978948c0673797374656d949328" + "2e")),
                "the GenEval reply imports a global posix.system (opcode STACK_GLOBAL at byte 19): refused");
    }

    @Test
    void anOversizedReplyIsRefused() throws Exception {
        stub = new Stub((attempt, request) -> ok(Map.of("padding", new byte[5000])));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optMaxReplyBytes(1000).build());
        IOException e = assertThrows(IOException.class, () -> client.evaluate(images(1), prompts(1)));
        assertEquals("GenEval request for images 0 to 0 at " + stub.uri() + " failed: the GenEval reply declares 5020 bytes, over the "
                + "limit of 1000 bytes (maxReplyBytes): refused", e.getMessage());
        assertEquals(1, stub.attempts.get());
        // without a Content-Length the limit is enforced while the body streams in
        try (Stub chunked = new Stub((attempt, request) -> new Reply(200, PickleWriter.toBytes(Map.of("padding", new byte[5000])), true))) {
            GenEvalClient c = new GenEvalClient(config(chunked.uri()).optMaxReplyBytes(1000).build());
            e = assertThrows(IOException.class, () -> c.evaluate(images(1), prompts(1)));
            assertEquals("GenEval request for images 0 to 0 at " + chunked.uri() + " failed: the GenEval reply is more than 1000 bytes, "
                    + "over the limit of 1000 bytes (maxReplyBytes): refused", e.getMessage());
        }
    }

    @Test
    void hostileRepliesFailNamingTheServerWithinTheTimeout() throws Exception {
        AtomicReference<byte[]> body = new AtomicReference<>();
        stub = new Stub((attempt, request) -> new Reply(200, body.get()));
        Duration timeout = Duration.ofSeconds(2);
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optTimeout(timeout).optRetries(0).build());
        int tried = 0;
        for (Map.Entry<String, java.util.function.Supplier<byte[]>> hostile : GenevalPickleFuzzTest.hostile()) {
            body.set(hostile.getValue().get());
            long start = System.nanoTime();
            // an Error or a hang would escape assertThrows / the preemptive limit and fail here
            IOException e = assertTimeoutPreemptively(timeout.plusSeconds(3),
                    () -> assertThrows(IOException.class, () -> client.evaluate(images(1), prompts(1)), hostile.getKey()),
                    hostile.getKey());
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(e.getMessage().startsWith("GenEval server at " + stub.uri() + ": the GenEval reply "),
                    hostile.getKey() + ": " + e.getMessage());
            assertTrue(e.getMessage().length() < 1000, hostile.getKey() + ": a message of " + e.getMessage().length() + " chars");
            assertTrue(seconds < timeout.toMillis() / 1000.0 + 1, hostile.getKey() + " took " + seconds + " s");
            tried++;
        }
        assertEquals(tried, stub.attempts.get(), "a hostile reply is not retried");
    }

    @Test
    void theTimeoutBoundsReadingTheReplyToo() throws Exception {
        // 8 MiB of BININT2: within the reader's cost budget, but slow to read, sent 250 ms into
        // the attempt: its timeout (300 ms) covers the wait, the transfer and the reading together
        byte[] slow = GenevalPickleFuzzTest.manyInts(8 << 20);
        stub = new Stub((attempt, request) -> {
            Thread.sleep(250);
            return new Reply(200, slow);
        });
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optTimeout(Duration.ofMillis(300)).optRetries(0).build());
        long start = System.nanoTime();
        IOException e = assertTimeoutPreemptively(Duration.ofSeconds(10),
                () -> assertThrows(IOException.class, () -> client.evaluate(images(1), prompts(1))));
        double seconds = (System.nanoTime() - start) / 1e9;
        assertTrue(seconds < 0.3 + 1.5, "gave up soon after the timeout: " + seconds + " s (" + e.getMessage() + ")");
        // which of the two ran out of time depends on the machine; either way the server is named
        String m = e.getMessage();
        System.out.printf("an 8 MiB slow reply after 250 ms, with a 300 ms timeout: refused after %.3f s: %s%n", seconds, m);
        System.out.printf("an 8 MiB slow reply after 250 ms, with a 300 ms timeout: refused after %.3f s: %s%n", seconds, m);
        assertTrue(m.startsWith("GenEval server at " + stub.uri() + ": the GenEval reply takes longer than ")
                || m.startsWith("GenEval request for images 0 to 0 at " + stub.uri() + " failed after 1 attempt: no reply within 300 ms"), m);
    }

    @Test
    void hugeIntsInAReplyAreNamedByTheirSizeAtOnce() throws Exception {
        String out = GenevalPickleTest.python("""
                import base64, pickle, sys
                huge = 2 ** 4_000_000 - 1
                groups = {huge: [1.0]}
                reply = {"scores": [0.5, 0.5], "rewards": [1.0, 1.0], "strict_rewards": [1.0, 1.0], "group_rewards": groups,
                         "group_strict_rewards": groups}
                sys.stdout.write(base64.b64encode(pickle.dumps(reply, protocol=4)).decode())
                lacking = {huge: 1, "scores": [0.5, 0.5], "rewards": [1.0, 1.0], "strict_rewards": [1.0, 1.0]}
                sys.stdout.write(" " + base64.b64encode(pickle.dumps(lacking, protocol=4)).decode())
                sys.stdout.write(" " + base64.b64encode(pickle.dumps(huge, protocol=4)).decode())
                """, new byte[0]);
        String[] replies = out.split(" ");
        String[] expected = {
            "the GenEval reply has 1 group_rewards[an int of 4000000 bits] for 2 images",
            "the GenEval reply lacks 'group_rewards' (it has [an int of 4000000 bits, scores, rewards, strict_rewards])",
            "the GenEval reply for images 0 to 1 is an int of 4000000 bits, not a dict"};
        for (int i = 0; i < replies.length; i++) {
            byte[] body = java.util.Base64.getDecoder().decode(replies[i]);
            long start = System.nanoTime();
            assertBadReply(new Reply(200, body), expected[i]);
            double seconds = (System.nanoTime() - start) / 1e9;
            assertTrue(seconds < 1, "no BigInteger.toString: " + seconds + " s");
        }
    }

    private void assertBadReply(Reply reply, String expected) throws Exception {
        try (Stub s = new Stub((attempt, request) -> reply)) {
            List<Duration> slept = new ArrayList<>();
            GenEvalClient client = new GenEvalClient(config(s.uri()).optSleeper(slept::add).build());
            IOException e = assertThrows(IOException.class, () -> client.evaluate(images(2), prompts(2)));
            assertTrue(e.getMessage().startsWith("GenEval server at " + s.uri() + ": " + expected), e.getMessage());
            assertEquals(1, s.attempts.get(), "a malformed reply is not retried");
        }
    }

    @Test
    void promptsWithoutMetadataFailBeforeAnythingIsSent() throws Exception {
        stub = new Stub((attempt, request) -> echo(request));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).build());
        List<Prompt> prompts = new ArrayList<>(prompts(3));
        prompts.set(2, Prompt.of("a photo of a cat"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> client.evaluate(images(3), prompts));
        assertTrue(e.getMessage().startsWith("prompt \"a photo of a cat\" has no GenEval metadata"), e.getMessage());
        assertEquals("3 images but 2 prompts",
                assertThrows(IllegalArgumentException.class, () -> client.evaluate(images(3), prompts(2))).getMessage());
        assertEquals(0, stub.attempts.get());
    }

    @Test
    void concurrentCallsEachGetTheirOwnResults() throws Exception {
        stub = new Stub((attempt, request) -> echo(request));
        GenEvalClient client = new GenEvalClient(config(stub.uri()).optBatchSize(5).build());
        ExecutorService pool = Executors.newFixedThreadPool(4);
        try {
            List<Future<List<GenEvalOutcome>>> futures = new ArrayList<>();
            for (int t = 0; t < 4; t++) {
                int n = 10 + t;
                futures.add(pool.submit(() -> client.evaluate(images(n), prompts(n))));
            }
            for (int t = 0; t < 4; t++) {
                List<GenEvalOutcome> out = futures.get(t).get(30, TimeUnit.SECONDS);
                assertEquals(10 + t, out.size());
                for (int i = 0; i < out.size(); i++) {
                    assertEquals(i, out.get(i).strictReward());
                }
            }
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void settingsAreValidatedWhenBuilt() {
        URI u = URI.create("http://127.0.0.1:18085/");
        assertInvalid("url must be set: the GenEval server, e.g. http://127.0.0.1:18085/", GenEvalClient.Config.builder(null));
        assertInvalid("url must be an http or https URL with a host, got 'ftp://host/'", GenEvalClient.Config.builder(URI.create("ftp://host/")));
        assertInvalid("timeout must be positive, got PT0S", GenEvalClient.Config.builder(u).optTimeout(Duration.ZERO));
        assertInvalid("connectTimeout must be positive, got PT-1S", GenEvalClient.Config.builder(u).optConnectTimeout(Duration.ofSeconds(-1)));
        assertInvalid("retries must be in [0, 20], got -1", GenEvalClient.Config.builder(u).optRetries(-1));
        assertInvalid("backoff must be zero or positive, got PT-0.001S", GenEvalClient.Config.builder(u).optBackoff(Duration.ofMillis(-1)));
        assertInvalid("maxReplyBytes must be >= 1, got 0", GenEvalClient.Config.builder(u).optMaxReplyBytes(0));
        assertInvalid("jpegQuality must be in [1, 100], got 101", GenEvalClient.Config.builder(u).optJpegQuality(101));
        assertInvalid("batchSize must be in [1, 64], got 65", GenEvalClient.Config.builder(u).optBatchSize(65));
        assertInvalid("sleeper must not be null", GenEvalClient.Config.builder(u).optSleeper(null));
        GenEvalClient.Config c = GenEvalClient.Config.builder(u).build();
        assertEquals("Config{url=http://127.0.0.1:18085/, timeout=PT2M, connectTimeout=PT10S, retries=3, backoff=PT1S, "
                + "maxReplyBytes=67108864, jpegQuality=95, chromaSubsampling=false, batchSize=64, onlyStrict=false}", c.toString());
    }

    private static void assertInvalid(String expected, GenEvalClient.Config.Builder b) {
        assertEquals(expected, assertThrows(IllegalArgumentException.class, b::build).getMessage());
    }
}
