package io.diffrl4j.rewards.geneval;

import io.diffrl4j.rewards.image.JpegCodec;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.core.reward.RewardFunction;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.math.BigInteger;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpConnectTimeoutException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.HttpTimeoutException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The GenEval reward, scored by a GenEval reward server (the one Flow-GRPO and DiffusionNFT call,
 * or anything that speaks its protocol, such as the Shapes world's server): name "geneval", the
 * score of an image is GenEval's partial score ({@code scores}), what Flow-GRPO optimises;
 * {@link #evaluate} also gives the strict and classic results.
 *
 * <p>The protocol (docs/REWARDS.md): {@code POST} to the server's URL a pickled dict
 * {@code {"images": [JPEG bytes], "meta_datas": [metadata dict], "only_strict": bool}} of at most
 * {@value #MAX_IMAGES_PER_REQUEST} images (a larger batch is split into requests sent one after
 * the other, results kept in order); the reply is a pickled dict of {@code scores},
 * {@code rewards}, {@code strict_rewards}, {@code group_rewards} and {@code group_strict_rewards}.
 * Images are encoded by {@link JpegCodec} (quality 95, full-resolution colour by default: see
 * {@link Config.Builder#optChromaSubsampling}); each prompt's metadata is
 * {@link GenEvalMetadata#metadata(Prompt)}.
 *
 * <p>The reply is untrusted: it is read by {@link SafePickleReader} (plain data only, nothing is
 * executed), at most {@link Config#maxReplyBytes()} bytes of it, at a cost in heap and work
 * proportional to its size, and checked (a dict with every key, one finite number per image).
 * {@link Config#timeout()} bounds each attempt as a whole: the wait for the reply and the reading
 * of it (a reply that takes longer to read is refused). A request that gets no reply within {@link Config#timeout()}, cannot
 * connect, or gets an HTTP 5xx is retried up to {@link Config#retries()} times after
 * {@link Config#backoff()}, doubling each time; other failures are not retried. Every failure is an
 * {@link IOException} whose message names the server, the images and what went wrong (for an
 * HTTP 500, the start and end of the server's traceback); values of the reply quoted in a message
 * are cut short (a huge int is given by its size in bits), so that a hostile reply cannot make
 * the message itself expensive.
 *
 * <p>Immutable and thread-safe: concurrent calls share one HTTP client. Configure with
 * {@link Config#builder(URI)}.
 */
public final class GenEvalClient implements RewardFunction {
    /** The most images a GenEval server accepts in one request. */
    public static final int MAX_IMAGES_PER_REQUEST = 64;
    /** Longest wait between two attempts, whatever the doubling reaches. */
    public static final Duration MAX_BACKOFF = Duration.ofMinutes(5);

    private static final Logger LOG = LoggerFactory.getLogger(GenEvalClient.class);
    private static final List<String> PER_IMAGE_KEYS = List.of("scores", "rewards", "strict_rewards");
    private static final List<String> GROUP_KEYS = List.of("group_rewards", "group_strict_rewards");
    private static final int TRACEBACK_HEAD = 6;
    private static final int TRACEBACK_TAIL = 4;
    private static final int MAX_RENDERED_KEYS = 10;
    private static final int MAX_RENDERED_INT_BITS = 128;

    private final Config config;
    private final HttpClient http;
    private final SafePickleReader replyReader;

    /** @param config where the server is and how to talk to it */
    public GenEvalClient(Config config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.config = config;
        // HTTP/1.1: the reference server is a plain Python HTTP server; no h2c upgrade attempts
        this.http = HttpClient.newBuilder()
                .version(HttpClient.Version.HTTP_1_1)
                .connectTimeout(config.connectTimeout)
                .followRedirects(HttpClient.Redirect.NEVER)
                .build();
        this.replyReader = new SafePickleReader(config.maxReplyBytes, "GenEval reply");
    }

    /** @return the settings */
    public Config config() {
        return config;
    }

    @Override
    public String name() {
        return "geneval";
    }

    /**
     * @return GenEval's partial score per image
     * @throws IOException when the server cannot score them (see the class comment)
     * @throws IllegalArgumentException when counts differ or a prompt has no GenEval metadata
     */
    @Override
    public double[] score(ImageBatch images, List<Prompt> prompts) throws IOException, InterruptedException {
        return evaluate(images, prompts).stream().mapToDouble(GenEvalOutcome::score).toArray();
    }

    /**
     * @param images RGB images, values in [0, 1]
     * @param prompts one prompt per image, each with GenEval metadata
     * @return the server's three numbers per image, in image order; classic results unless the
     *     client was built with {@code optOnlyStrict(true)}
     * @throws IOException when the server cannot score them (see the class comment)
     * @throws InterruptedException when interrupted while waiting
     * @throws IllegalArgumentException when counts differ or a prompt has no GenEval metadata
     *     (checked before anything is sent)
     */
    public List<GenEvalOutcome> evaluate(ImageBatch images, List<Prompt> prompts) throws IOException, InterruptedException {
        return evaluate(images, prompts, config.onlyStrict);
    }

    /**
     * @param images RGB images, values in [0, 1]
     * @param prompts one prompt per image, each with GenEval metadata
     * @param onlyStrict true to ask for the score and strict result only (the server skips the
     *     classic rules, and every {@link GenEvalOutcome#reward()} is 0.0)
     * @return the server's three numbers per image, in image order
     * @throws IOException when the server cannot score them (see the class comment)
     * @throws InterruptedException when interrupted while waiting
     * @throws IllegalArgumentException when counts differ or a prompt has no GenEval metadata
     *     (checked before anything is sent)
     */
    public List<GenEvalOutcome> evaluate(ImageBatch images, List<Prompt> prompts, boolean onlyStrict)
            throws IOException, InterruptedException {
        if (prompts.size() != images.count()) {
            throw new IllegalArgumentException(images.count() + " images but " + prompts.size() + " prompts");
        }
        if (images.channels() != 3 && images.channels() != 1) {
            throw new IllegalArgumentException("GenEval scores RGB images; got " + images.channels() + " channels");
        }
        List<Map<String, Object>> metadata = new ArrayList<>(prompts.size());
        for (Prompt p : prompts) {
            metadata.add(GenEvalMetadata.metadata(p));
        }
        List<GenEvalOutcome> out = new ArrayList<>(images.count());
        for (int from = 0; from < images.count(); from += config.batchSize) {
            int to = Math.min(images.count(), from + config.batchSize);
            List<Object> jpegs = new ArrayList<>(to - from);
            for (int i = from; i < to; i++) {
                jpegs.add(JpegCodec.encode(images, i, config.jpegQuality, config.chromaSubsampling));
            }
            Map<String, Object> request = new LinkedHashMap<>();
            request.put("images", jpegs);
            request.put("meta_datas", new ArrayList<Object>(metadata.subList(from, to)));
            request.put("only_strict", onlyStrict);
            Received reply = post(PickleWriter.toBytes(request), from, to);
            // the attempt's timeout covers reading the reply too; a fast reply leaves most of it
            Duration left = config.timeout.minusNanos(System.nanoTime() - reply.attemptStartNanos());
            if (left.compareTo(Duration.ofMillis(1)) < 0) {
                left = Duration.ofMillis(1);
            }
            try {
                out.addAll(parse(reply.body(), from, to, left));
            } catch (IOException e) {
                // a malformed reply is the server's fault, not the network's: not retried
                throw new IOException("GenEval server at " + config.url + ": " + e.getMessage(), e);
            } catch (RuntimeException e) {
                // a bug of ours on a strange reply must still name the server, not escape as is
                throw new IOException("GenEval server at " + config.url + ": the GenEval reply for images " + from + " to "
                        + (to - 1) + " could not be read: " + e, e);
            }
        }
        return List.copyOf(out);
    }

    /** A reply body and when the attempt that got it began (System.nanoTime). */
    private record Received(byte[] body, long attemptStartNanos) {
    }

    /** @return the reply body of the first successful attempt */
    private Received post(byte[] body, int from, int to) throws IOException, InterruptedException {
        String what = "GenEval request for images " + from + " to " + (to - 1) + " at " + config.url;
        for (int attempt = 0; ; attempt++) {
            long start = System.nanoTime();
            try {
                return new Received(exchange(body), start);
            } catch (TransientFailure e) {
                if (attempt == config.retries) {
                    String tries = (attempt + 1) + (attempt == 0 ? " attempt" : " attempts");
                    throw new IOException(what + " failed after " + tries + ": " + e.getMessage(), e);
                }
                Duration delay = delay(attempt);
                LOG.warn("{} failed (attempt {} of {}): {}; retrying in {} ms", what, attempt + 1, config.retries + 1,
                        oneLine(e.getMessage()), delay.toMillis());
                config.sleeper.sleep(delay);
            } catch (IOException e) {
                throw new IOException(what + " failed: " + e.getMessage(), e);
            }
        }
    }

    private Duration delay(int attempt) {
        Duration d = config.backoff.multipliedBy(1L << Math.min(attempt, 30));
        return d.compareTo(MAX_BACKOFF) > 0 ? MAX_BACKOFF : d;
    }

    /** One attempt; TransientFailure for what a retry may cure. */
    private byte[] exchange(byte[] body) throws IOException, InterruptedException {
        HttpRequest request = HttpRequest.newBuilder(config.url)
                .timeout(config.timeout)
                .header("Content-Type", "application/octet-stream")
                .POST(HttpRequest.BodyPublishers.ofByteArray(body))
                .build();
        CompletableFuture<HttpResponse<byte[]>> future =
                http.sendAsync(request, info -> new LimitedBody(config.maxReplyBytes, info.headers().firstValueAsLong("content-length").orElse(-1)));
        HttpResponse<byte[]> response;
        try {
            // the request timeout covers the wait for the headers; this covers the body too
            response = future.get(config.timeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException e) {
            future.cancel(true);
            throw new TransientFailure("no reply within " + millis(config.timeout) + " (the request timeout)", null);
        } catch (InterruptedException e) {
            future.cancel(true);
            throw e;
        } catch (ExecutionException e) {
            throw classify(e.getCause());
        }
        int status = response.statusCode();
        if (status == 200) {
            return response.body();
        }
        String message = "HTTP " + status + " from the server:\n" + excerpt(response.body());
        if (status >= 500) {
            throw new TransientFailure(message, null);
        }
        throw new IOException(message);
    }

    private IOException classify(Throwable t) {
        Throwable cause = t;
        while (cause != null) {
            if (cause instanceof ReplyTooLarge tooLarge) {
                return new IOException(tooLarge.getMessage(), tooLarge);
            }
            if (cause instanceof HttpConnectTimeoutException) {
                return new TransientFailure("could not connect within " + millis(config.connectTimeout) + " (the connect timeout)", cause);
            }
            if (cause instanceof HttpTimeoutException) {
                return new TransientFailure("no reply within " + millis(config.timeout) + " (the request timeout)", cause);
            }
            if (cause instanceof ConnectException) {
                return new TransientFailure("cannot connect (connection refused: is the GenEval server running at " + config.url + "?)",
                        cause);
            }
            cause = cause.getCause();
        }
        if (t instanceof IOException) {
            return new TransientFailure("the exchange failed: " + t, t);
        }
        return new IOException("the exchange failed: " + t, t);
    }

    private List<GenEvalOutcome> parse(byte[] body, int from, int to, Duration timeLimit) throws IOException {
        int n = to - from;
        Object reply = replyReader.read(body, timeLimit);
        if (!(reply instanceof Map<?, ?> map)) {
            throw new IOException("the GenEval reply for images " + from + " to " + (to - 1) + " is " + describe(reply)
                    + ", not a dict");
        }
        double[][] columns = new double[PER_IMAGE_KEYS.size()][];
        for (int k = 0; k < PER_IMAGE_KEYS.size(); k++) {
            String key = PER_IMAGE_KEYS.get(k);
            columns[k] = numbers(map, key, map.get(key), from, n, true);
        }
        for (String key : GROUP_KEYS) {
            if (!(map.get(key) instanceof Map<?, ?> groups)) {
                throw missing(map, key, "a dict of lists");
            }
            for (Map.Entry<?, ?> e : groups.entrySet()) {
                numbers(map, key + "[" + render(e.getKey()) + "]", e.getValue(), from, n, false);
            }
        }
        List<GenEvalOutcome> out = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            out.add(new GenEvalOutcome(columns[0][i], columns[2][i], columns[1][i]));
        }
        return out;
    }

    private double[] numbers(Map<?, ?> reply, String key, Object raw, int from, int n, boolean finite) throws IOException {
        if (!(raw instanceof List<?> list)) {
            throw missing(reply, key, "a list");
        }
        if (list.size() != n) {
            throw new IOException("the GenEval reply has " + list.size() + " " + key + " for " + n + " images (images " + from
                    + " to " + (from + n - 1) + ")");
        }
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            Object o = list.get(i);
            if (!(o instanceof Number num) || o instanceof Boolean) {
                throw new IOException("the GenEval reply's " + key + "[" + i + "] (image " + (from + i) + ") is "
                        + describe(o) + ", not a number");
            }
            v[i] = num.doubleValue();
            if (finite && !Double.isFinite(v[i])) {
                throw new IOException("the GenEval reply's " + key + "[" + i + "] (image " + (from + i) + ") is " + v[i]
                        + ": a reward must be finite");
            }
        }
        return v;
    }

    private static IOException missing(Map<?, ?> reply, String key, String expected) {
        Object v = reply.get(key);
        if (v == null && !reply.containsKey(key)) {
            return new IOException("the GenEval reply lacks '" + key + "' (it has " + keys(reply) + ")");
        }
        return new IOException("the GenEval reply's '" + key + "' is " + describe(v) + ", not " + expected);
    }

    private static String describe(Object o) {
        if (o == null || o instanceof Map<?, ?> || o instanceof List<?> || o instanceof byte[]) {
            return SafePickleReader.typeName(o);
        }
        if (o instanceof BigInteger b && b.bitLength() > MAX_RENDERED_INT_BITS) {
            return hugeInt(b);
        }
        String s = cut(o instanceof String str ? str : String.valueOf(o));
        return "'" + s + "' (" + o.getClass().getSimpleName() + ")";
    }

    /** The first keys of a reply, each rendered at a bounded cost, as [a, b, ...]. */
    private static String keys(Map<?, ?> reply) {
        StringBuilder sb = new StringBuilder("[");
        Iterator<?> it = reply.keySet().iterator();
        for (int i = 0; it.hasNext(); i++) {
            Object k = it.next();
            if (i == MAX_RENDERED_KEYS) {
                sb.append("... (").append(reply.size()).append(" keys)");
                break;
            }
            sb.append(i == 0 ? "" : ", ").append(k instanceof String s ? cut(s) : render(k));
        }
        return sb.append(']').toString();
    }

    /**
     * A reply's dict key or scalar for a message, at a cost bounded whatever its size: text cut
     * short, a huge int by its size in bits (BigInteger.toString is superlinear), a tuple by its
     * first items (a key's tuple holds only scalars, see {@link SafePickleReader}).
     */
    private static String render(Object o) {
        if (o instanceof String s) {
            return "'" + cut(s) + "'";
        }
        if (o instanceof BigInteger b && b.bitLength() > MAX_RENDERED_INT_BITS) {
            return hugeInt(b);
        }
        if (o instanceof List<?> tuple) {
            StringBuilder sb = new StringBuilder("(");
            for (int i = 0; i < tuple.size(); i++) {
                if (i == MAX_RENDERED_KEYS) {
                    sb.append(", ... (").append(tuple.size()).append(" items)");
                    break;
                }
                Object item = tuple.get(i);
                sb.append(i == 0 ? "" : ", ").append(item instanceof List<?> || item instanceof Map<?, ?>
                        ? SafePickleReader.typeName(item) : render(item));
            }
            return sb.append(tuple.size() == 1 ? ",)" : ")").toString();
        }
        if (o == null || o instanceof Map<?, ?> || o instanceof byte[]) {
            return SafePickleReader.typeName(o);
        }
        return cut(String.valueOf(o));
    }

    private static String hugeInt(BigInteger b) {
        return "an int of " + b.bitLength() + " bits";
    }

    private static String cut(String s) {
        return s.length() > 40 ? s.substring(0, 40) + "..." : s;
    }

    /** The start and end of a traceback: where it was raised and what was raised. */
    private static String excerpt(byte[] body) {
        String text = new String(body, StandardCharsets.UTF_8).strip();
        if (text.isEmpty()) {
            return "(empty body)";
        }
        List<String> lines = Arrays.asList(text.split("\r?\n"));
        List<String> kept = new ArrayList<>();
        if (lines.size() <= TRACEBACK_HEAD + TRACEBACK_TAIL + 1) {
            kept.addAll(lines);
        } else {
            kept.addAll(lines.subList(0, TRACEBACK_HEAD));
            kept.add("... (" + (lines.size() - TRACEBACK_HEAD - TRACEBACK_TAIL) + " lines)");
            kept.addAll(lines.subList(lines.size() - TRACEBACK_TAIL, lines.size()));
        }
        StringBuilder sb = new StringBuilder();
        for (String l : kept) {
            sb.append(l.length() > 300 ? l.substring(0, 300) + "..." : l).append('\n');
        }
        return sb.toString().stripTrailing();
    }

    /** A multi-line message (a traceback) folded into one log line of bounded length. */
    private static String oneLine(String s) {
        String folded = s.strip().replaceAll("\\s*\\R\\s*", " | ");
        return folded.length() > 400 ? folded.substring(0, 200) + " ... " + folded.substring(folded.length() - 195) : folded;
    }

    private static String millis(Duration d) {
        return d.toMillis() + " ms";
    }

    @Override
    public String toString() {
        return "GenEvalClient{" + config + "}";
    }

    /** How the client waits between attempts (replaceable so that tests need not wait). */
    @FunctionalInterface
    public interface Sleeper {
        /** @param delay how long to wait @throws InterruptedException when interrupted */
        void sleep(Duration delay) throws InterruptedException;
    }

    /** A failure a retry may cure: no connection, no reply in time, or HTTP 5xx. */
    private static final class TransientFailure extends IOException {
        private static final long serialVersionUID = 1L;

        TransientFailure(String message, Throwable cause) {
            super(message, cause);
        }
    }

    private static final class ReplyTooLarge extends IOException {
        private static final long serialVersionUID = 1L;

        ReplyTooLarge(String message) {
            super(message);
        }
    }

    /** Collects the body, failing as soon as it passes the limit instead of buffering it all. */
    private static final class LimitedBody implements HttpResponse.BodySubscriber<byte[]> {
        private final CompletableFuture<byte[]> result = new CompletableFuture<>();
        private final ByteArrayOutputStream buffer = new ByteArrayOutputStream();
        private final int limit;
        private final long declared;
        private Flow.Subscription subscription;

        LimitedBody(int limit, long declared) {
            this.limit = limit;
            this.declared = declared;
        }

        @Override
        public CompletionStage<byte[]> getBody() {
            return result;
        }

        @Override
        public void onSubscribe(Flow.Subscription s) {
            subscription = s;
            if (declared > limit) {
                fail("declares " + declared + " bytes");
                return;
            }
            s.request(Long.MAX_VALUE);
        }

        @Override
        public void onNext(List<ByteBuffer> items) {
            if (result.isDone()) {
                return;
            }
            for (ByteBuffer b : items) {
                if ((long) buffer.size() + b.remaining() > limit) {
                    fail("is more than " + limit + " bytes");
                    return;
                }
                byte[] chunk = new byte[b.remaining()];
                b.get(chunk);
                buffer.writeBytes(chunk);
            }
        }

        private void fail(String what) {
            subscription.cancel();
            result.completeExceptionally(new ReplyTooLarge("the GenEval reply " + what + ", over the limit of " + limit
                    + " bytes (maxReplyBytes): refused"));
        }

        @Override
        public void onError(Throwable t) {
            result.completeExceptionally(t);
        }

        @Override
        public void onComplete() {
            result.complete(buffer.toByteArray());
        }
    }

    /**
     * Where the GenEval server is and how to talk to it. Immutable; validated when built, a bad
     * value failing with a message that names the field, the value and the allowed range.
     */
    public static final class Config {
        private final URI url;
        private final Duration timeout;
        private final Duration connectTimeout;
        private final int retries;
        private final Duration backoff;
        private final int maxReplyBytes;
        private final int jpegQuality;
        private final boolean chromaSubsampling;
        private final int batchSize;
        private final boolean onlyStrict;
        private final Sleeper sleeper;

        private Config(Builder b) {
            this.url = b.url;
            this.timeout = b.timeout;
            this.connectTimeout = b.connectTimeout;
            this.retries = b.retries;
            this.backoff = b.backoff;
            this.maxReplyBytes = b.maxReplyBytes;
            this.jpegQuality = b.jpegQuality;
            this.chromaSubsampling = b.chromaSubsampling;
            this.batchSize = b.batchSize;
            this.onlyStrict = b.onlyStrict;
            this.sleeper = b.sleeper;
        }

        /**
         * @param url the server, e.g. {@code http://127.0.0.1:18085/} (http or https, with a host);
         *     requests are posted to exactly this URL
         * @return a builder with the defaults: 120 s request timeout, 10 s connect timeout, 3
         *     retries after 1 s (then 2 s, 4 s), replies up to 64 MiB, JPEG quality 95 without
         *     chroma subsampling, 64 images per request, classic results too (not only strict)
         */
        public static Builder builder(URI url) {
            return new Builder(url);
        }

        /** @return the server's URL */
        public URI url() {
            return url;
        }

        /** @return how long one attempt may wait for the whole reply */
        public Duration timeout() {
            return timeout;
        }

        /** @return how long one attempt may wait to connect */
        public Duration connectTimeout() {
            return connectTimeout;
        }

        /** @return how many times a failed request is tried again */
        public int retries() {
            return retries;
        }

        /** @return the wait before the first retry (doubled before each next one) */
        public Duration backoff() {
            return backoff;
        }

        /** @return the largest reply read, in bytes */
        public int maxReplyBytes() {
            return maxReplyBytes;
        }

        /** @return the JPEG quality of the images sent */
        public int jpegQuality() {
            return jpegQuality;
        }

        /** @return true when the JPEGs sent use 4:2:0 chroma, false for full-resolution (4:4:4) colour */
        public boolean chromaSubsampling() {
            return chromaSubsampling;
        }

        /** @return the most images per request */
        public int batchSize() {
            return batchSize;
        }

        /** @return true when {@link GenEvalClient#evaluate(ImageBatch, List)} asks for strict results only */
        public boolean onlyStrict() {
            return onlyStrict;
        }

        @Override
        public String toString() {
            return "Config{url=" + url + ", timeout=" + timeout + ", connectTimeout=" + connectTimeout + ", retries=" + retries
                    + ", backoff=" + backoff + ", maxReplyBytes=" + maxReplyBytes + ", jpegQuality=" + jpegQuality
                    + ", chromaSubsampling=" + chromaSubsampling + ", batchSize="
                    + batchSize + ", onlyStrict=" + onlyStrict + "}";
        }

        /** Builder; validated by {@link #build()}. */
        public static final class Builder {
            private final URI url;
            private Duration timeout = Duration.ofSeconds(120);
            private Duration connectTimeout = Duration.ofSeconds(10);
            private int retries = 3;
            private Duration backoff = Duration.ofSeconds(1);
            private int maxReplyBytes = 64 << 20;
            private int jpegQuality = 95;
            private boolean chromaSubsampling;
            private int batchSize = MAX_IMAGES_PER_REQUEST;
            private boolean onlyStrict;
            private Sleeper sleeper = d -> Thread.sleep(d.toMillis());

            private Builder(URI url) {
                this.url = url;
            }

            /** @param timeout how long one attempt may wait for the whole reply, positive (default 120 s) @return this */
            public Builder optTimeout(Duration timeout) {
                this.timeout = timeout;
                return this;
            }

            /** @param connectTimeout how long one attempt may wait to connect, positive (default 10 s) @return this */
            public Builder optConnectTimeout(Duration connectTimeout) {
                this.connectTimeout = connectTimeout;
                return this;
            }

            /** @param retries attempts after the first, in [0, 20] (default 3) @return this */
            public Builder optRetries(int retries) {
                this.retries = retries;
                return this;
            }

            /**
             * @param backoff the wait before the first retry, doubled before each next one (capped at
             *     {@link GenEvalClient#MAX_BACKOFF}); zero or positive (default 1 s)
             * @return this
             */
            public Builder optBackoff(Duration backoff) {
                this.backoff = backoff;
                return this;
            }

            /** @param maxReplyBytes the largest reply read, at least 1 (default 64 MiB) @return this */
            public Builder optMaxReplyBytes(int maxReplyBytes) {
                this.maxReplyBytes = maxReplyBytes;
                return this;
            }

            /** @param jpegQuality JPEG quality of the images sent, in [1, 100] (default 95) @return this */
            public Builder optJpegQuality(int jpegQuality) {
                this.jpegQuality = jpegQuality;
                return this;
            }

            /**
             * @param chromaSubsampling true for 4:2:0 chroma, what PIL (and so Flow-GRPO's client,
             *     at its default quality 75) sends; false for full-resolution colour (default),
             *     which small images need to keep their colours (see {@link JpegCodec})
             * @return this
             */
            public Builder optChromaSubsampling(boolean chromaSubsampling) {
                this.chromaSubsampling = chromaSubsampling;
                return this;
            }

            /** @param batchSize the most images per request, in [1, 64] (default 64) @return this */
            public Builder optBatchSize(int batchSize) {
                this.batchSize = batchSize;
                return this;
            }

            /** @param onlyStrict ask for the score and strict result only (default false) @return this */
            public Builder optOnlyStrict(boolean onlyStrict) {
                this.onlyStrict = onlyStrict;
                return this;
            }

            /** @param sleeper how to wait between attempts (default {@code Thread.sleep}) @return this */
            public Builder optSleeper(Sleeper sleeper) {
                this.sleeper = sleeper;
                return this;
            }

            /**
             * @return the settings
             * @throws IllegalArgumentException naming the first bad field
             */
            public Config build() {
                if (url == null) {
                    throw new IllegalArgumentException("url must be set: the GenEval server, e.g. http://127.0.0.1:18085/");
                }
                if (!("http".equalsIgnoreCase(url.getScheme()) || "https".equalsIgnoreCase(url.getScheme())) || url.getHost() == null) {
                    throw new IllegalArgumentException("url must be an http or https URL with a host, got '" + url + "'");
                }
                requirePositive("timeout", timeout);
                requirePositive("connectTimeout", connectTimeout);
                if (retries < 0 || retries > 20) {
                    throw new IllegalArgumentException("retries must be in [0, 20], got " + retries);
                }
                if (backoff == null || backoff.isNegative()) {
                    throw new IllegalArgumentException("backoff must be zero or positive, got " + backoff);
                }
                if (maxReplyBytes < 1) {
                    throw new IllegalArgumentException("maxReplyBytes must be >= 1, got " + maxReplyBytes);
                }
                if (jpegQuality < 1 || jpegQuality > 100) {
                    throw new IllegalArgumentException("jpegQuality must be in [1, 100], got " + jpegQuality);
                }
                if (batchSize < 1 || batchSize > MAX_IMAGES_PER_REQUEST) {
                    throw new IllegalArgumentException("batchSize must be in [1, " + MAX_IMAGES_PER_REQUEST + "], got " + batchSize);
                }
                if (sleeper == null) {
                    throw new IllegalArgumentException("sleeper must not be null");
                }
                return new Config(this);
            }

            private static void requirePositive(String field, Duration d) {
                if (d == null || d.isZero() || d.isNegative()) {
                    throw new IllegalArgumentException(field + " must be positive, got " + d);
                }
            }
        }
    }
}
