package io.diffrl4j.examples.shapes.server;

import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import io.diffrl4j.core.reward.ImageBatch;
import io.diffrl4j.core.reward.Prompt;
import io.diffrl4j.examples.cli.Arguments;
import io.diffrl4j.examples.cli.CommandLine;
import io.diffrl4j.examples.cli.Option;
import io.diffrl4j.examples.cli.UsageException;
import io.diffrl4j.examples.shapes.GenEvalResult;
import io.diffrl4j.examples.shapes.PromptGrammar;
import io.diffrl4j.examples.shapes.ShapesChecker;
import io.diffrl4j.rewards.geneval.GenEvalMetadata;
import io.diffrl4j.rewards.image.JpegCodec;
import io.diffrl4j.rewards.geneval.PickleWriter;
import io.diffrl4j.rewards.geneval.SafePickleReader;
import java.io.Closeable;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A GenEval reward server for the Shapes world: it speaks the protocol of the GenEval server that
 * Flow-GRPO and DiffusionNFT call (docs/REWARDS.md) and scores with the {@link ShapesChecker}
 * where the real one runs an object detector. So a client of that server, ours
 * ({@link io.diffrl4j.rewards.geneval.GenEvalClient}) or Flow-GRPO's Python one, can be exercised
 * end to end on one machine with no weights.
 *
 * <p>{@code POST /} with a pickled dict {@code {"images": [JPEG bytes], "meta_datas": [GenEval
 * metadata dict], "only_strict": bool}} ({@code only_strict} may be left out: false). The request
 * is read by {@link SafePickleReader} (plain data only, at most the configured size); each JPEG is
 * decoded (at most {@value #MAX_IMAGE_PIXELS} pixels each and {@value #MAX_REQUEST_PIXELS} in all, as
 * their headers declare, checked before anything is decoded; at most {@value #MAX_DECODING_PIXELS}
 * pixels are decoded at once across requests) and scored against its metadata. The reply,
 * 200, is a pickled dict: {@code scores} (partial score), {@code rewards} (classic "correct" as
 * 1.0 or 0.0, all 0.0 when {@code only_strict}), {@code strict_rewards} (1.0 or 0.0), and
 * {@code group_rewards} and {@code group_strict_rewards}: for each of GenEval's six tags a list
 * over the images holding the image's {@code rewards} (resp. {@code strict_rewards}) value where
 * the tag is the image's own and -10.0 elsewhere. Any failure gets 500 with the Java stack trace
 * as UTF-8 text; other paths get 404, other methods 405.
 *
 * <p>Listens on loopback by default. Up to 16 connections are served at once, and 2 requests
 * are scored at once; a connection must send its whole request (headers and body) within 30 s
 * or it is closed ({@link Builder#optReadTimeout}), so clients that trickle bytes, promise more
 * body than they send or never end a chunked body hold a thread for at most that long.
 * Close it to stop. From the command line: {@code ShapesGenEvalServer [--host H] [--port N]}
 * (defaults 127.0.0.1 and {@value #DEFAULT_PORT}; port 0 picks a free one; {@code --help} lists
 * them) prints the URL and serves until stopped.
 */
public final class ShapesGenEvalServer implements Closeable {
    /** The port the command line uses by default. */
    public static final int DEFAULT_PORT = 18085;
    /** Default largest request body, in bytes. */
    public static final int DEFAULT_MAX_REQUEST_BYTES = 64 << 20;
    /**
     * The largest image accepted, in pixels (checked from the JPEG header before decoding): twice
     * SD3.5's 1024 x 1024 on a side. Decoding costs about 20 bytes of heap per pixel.
     */
    public static final long MAX_IMAGE_PIXELS = 2048L * 2048;
    /** The most pixels one request's images may declare in all: 64 images of 1024 x 1024. */
    public static final long MAX_REQUEST_PIXELS = 64L * 1024 * 1024;
    /**
     * The most pixels decoded at once across all requests (about 160 MB of heap): an image waits
     * for its share, so concurrent requests of large images queue instead of exhausting memory.
     */
    public static final long MAX_DECODING_PIXELS = 2 * MAX_IMAGE_PIXELS;

    /** Decoding budget in units of 1024 pixels, shared by the worker threads. */
    private final java.util.concurrent.Semaphore decoding =
            new java.util.concurrent.Semaphore((int) (MAX_DECODING_PIXELS / 1024), true);
    /** What the group dicts hold for the tags that are not an image's own. */
    public static final double OTHER_TAG = -10.0;

    private static final Logger LOG = LoggerFactory.getLogger(ShapesGenEvalServer.class);

    /** Default deadline for a connection to send its whole request. */
    public static final Duration DEFAULT_READ_TIMEOUT = Duration.ofSeconds(30);

    private final HttpServer server;
    private final ReadDeadlines executor;
    private final java.util.concurrent.Semaphore scoring;
    private final Duration readTimeout;
    private final ShapesChecker checker;
    private final SafePickleReader requestReader;
    private final URI uri;

    private ShapesGenEvalServer(Builder b) throws IOException {
        this.checker = b.checker;
        this.requestReader = new SafePickleReader(b.maxRequestBytes, "GenEval request");
        InetAddress address = InetAddress.getByName(b.host);
        this.server = HttpServer.create(new InetSocketAddress(address, b.port), 0);
        this.readTimeout = b.readTimeout;
        this.scoring = new java.util.concurrent.Semaphore(b.threads, true);
        this.executor = new ReadDeadlines(b.connections, b.readTimeout, "shapes-geneval");
        server.setExecutor(executor);
        server.createContext("/", this::serve);
        server.start();
        InetSocketAddress bound = server.getAddress();
        // a wildcard address cannot be dialled: name loopback in the URL then
        String host = bound.getAddress().isAnyLocalAddress() ? "127.0.0.1" : bound.getAddress().getHostAddress();
        try {
            this.uri = new URI("http", null, host, bound.getPort(), "/", null, null);
        } catch (URISyntaxException e) {
            close();
            throw new IOException("cannot form the server's URL from " + bound, e);
        }
        LOG.info("Shapes GenEval server listening on {}", uri);
    }

    /** @return a builder with the defaults: 127.0.0.1, port {@value #DEFAULT_PORT}, the default checker, 64 MiB requests, 2 threads */
    public static Builder builder() {
        return new Builder();
    }

    /** @return where to post requests, e.g. {@code http://127.0.0.1:18085/} */
    public URI uri() {
        return uri;
    }

    /** @return the port listened on (the one picked when 0 was asked for) */
    public int port() {
        return server.getAddress().getPort();
    }

    /** Stops listening at once and ends the worker threads. */
    @Override
    public void close() {
        server.stop(0);
        executor.close();
    }

    private void serve(HttpExchange ex) throws IOException {
        try {
            if (!"/".equals(ex.getRequestURI().getPath())) {
                send(ex, 404, "text/plain; charset=utf-8", ("no such path: " + ex.getRequestURI().getPath()
                        + "; the GenEval protocol posts to /\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            if (!"POST".equals(ex.getRequestMethod())) {
                ex.getResponseHeaders().set("Allow", "POST");
                send(ex, 405, "text/plain; charset=utf-8", ("method " + ex.getRequestMethod()
                        + " not allowed; POST a pickled GenEval request to /\n").getBytes(StandardCharsets.UTF_8));
                return;
            }
            Object request;
            try {
                request = requestReader.read(ex.getRequestBody());
            } catch (IOException e) {
                if (ReadDeadlines.expired()) {
                    LOG.warn("GenEval request from {} not received within {} s: connection closed", ex.getRemoteAddress(),
                            readTimeout.toMillis() / 1000.0);
                    return; // the connection is gone: no reply can be sent
                }
                LOG.warn("GenEval request from {} failed: {}", ex.getRemoteAddress(), e.toString());
                send(ex, 500, "text/plain; charset=utf-8", traceback(e).getBytes(StandardCharsets.UTF_8));
                return;
            } finally {
                ReadDeadlines.received();
            }
            byte[] reply;
            try {
                scoring.acquire();
                try {
                    reply = PickleWriter.toBytes(score(request));
                } finally {
                    scoring.release();
                }
            } catch (Exception | StackOverflowError | OutOfMemoryError e) {
                LOG.warn("GenEval request from {} failed: {}", ex.getRemoteAddress(), e.toString());
                send(ex, 500, "text/plain; charset=utf-8", traceback(e).getBytes(StandardCharsets.UTF_8));
                return;
            }
            send(ex, 200, "application/octet-stream", reply);
        } finally {
            ex.close();
        }
    }

    /**
     * @param request the unpickled request
     * @return the reply dict
     * @throws IOException when an image is not a readable JPEG
     * @throws IllegalArgumentException when the request is malformed
     */
    Map<String, Object> score(Object request) throws IOException {
        if (!(request instanceof Map<?, ?> m)) {
            throw new IllegalArgumentException("the request must be a dict, got " + SafePickleReader.typeName(request));
        }
        if (!(m.get("images") instanceof List<?> images)) {
            throw new IllegalArgumentException("the request's 'images' must be a list of JPEG bytes, got " + SafePickleReader.typeName(m.get("images")));
        }
        if (!(m.get("meta_datas") instanceof List<?> metas)) {
            throw new IllegalArgumentException("the request's 'meta_datas' must be a list of dicts, got " + SafePickleReader.typeName(m.get("meta_datas")));
        }
        Object strictOnly = m.get("only_strict");
        if (strictOnly != null && !(strictOnly instanceof Boolean)) {
            throw new IllegalArgumentException("the request's 'only_strict' must be a bool, got " + SafePickleReader.typeName(strictOnly));
        }
        boolean onlyStrict = Boolean.TRUE.equals(strictOnly);
        if (images.size() != metas.size()) {
            throw new IllegalArgumentException("the request has " + images.size() + " images but " + metas.size() + " meta_datas");
        }
        List<Double> scores = new ArrayList<>();
        List<Double> rewards = new ArrayList<>();
        List<Double> strictRewards = new ArrayList<>();
        Map<String, Object> groupRewards = new LinkedHashMap<>();
        Map<String, Object> groupStrictRewards = new LinkedHashMap<>();
        Map<String, List<Double>> groups = new LinkedHashMap<>();
        Map<String, List<Double>> strictGroups = new LinkedHashMap<>();
        for (String tag : PromptGrammar.TAGS) {
            groups.put(tag, new ArrayList<>());
            strictGroups.put(tag, new ArrayList<>());
        }
        // Every header first: an image that claims more pixels than its bytes hold is refused before
        // anything is decoded, and so is a request whose images claim too many pixels in all.
        long[] pixels = new long[images.size()];
        long total = 0;
        for (int i = 0; i < images.size(); i++) {
            if (!(images.get(i) instanceof byte[] jpeg)) {
                throw new IllegalArgumentException("images[" + i + "] must be bytes, got " + SafePickleReader.typeName(images.get(i)));
            }
            int[] size;
            try {
                size = JpegCodec.dimensions(jpeg);
            } catch (IOException e) {
                throw new IOException("images[" + i + "]: " + e.getMessage(), e);
            }
            pixels[i] = (long) size[0] * size[1];
            if (pixels[i] > MAX_IMAGE_PIXELS) {
                throw new IllegalArgumentException("images[" + i + "]: its header declares " + size[0] + " x " + size[1]
                        + " pixels, over the limit of " + MAX_IMAGE_PIXELS + " (" + jpeg.length + " bytes of JPEG)");
            }
            total += pixels[i];
            if (total > MAX_REQUEST_PIXELS) {
                throw new IllegalArgumentException("the request's images declare more than " + MAX_REQUEST_PIXELS
                        + " pixels in all (over the limit at images[" + i + "])");
            }
        }
        for (int i = 0; i < images.size(); i++) {
            if (!(images.get(i) instanceof byte[] jpeg)) {
                throw new IllegalArgumentException("images[" + i + "] must be bytes, got " + SafePickleReader.typeName(images.get(i)));
            }
            if (!(metas.get(i) instanceof Map<?, ?> meta)) {
                throw new IllegalArgumentException("meta_datas[" + i + "] must be a dict, got " + SafePickleReader.typeName(metas.get(i)));
            }
            Prompt prompt;
            try {
                prompt = GenEvalMetadata.toPrompt(meta);
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("meta_datas[" + i + "]: " + e.getMessage(), e);
            }
            ImageBatch image;
            int units = (int) Math.max(1, (pixels[i] + 1023) / 1024);
            decoding.acquireUninterruptibly(units);
            try {
                image = JpegCodec.decode(jpeg, MAX_IMAGE_PIXELS);
            } catch (IOException e) {
                throw new IOException("images[" + i + "]: " + e.getMessage(), e);
            } finally {
                decoding.release(units);
            }
            GenEvalResult r = checker.evaluate(image.image(0), image.height(), image.width(), prompt.metadata());
            double reward = onlyStrict ? 0.0 : r.correct() ? 1.0 : 0.0;
            double strict = r.strict() ? 1.0 : 0.0;
            scores.add(r.score());
            rewards.add(reward);
            strictRewards.add(strict);
            Object tag = prompt.metadata().get("tag");
            for (String t : PromptGrammar.TAGS) {
                groups.get(t).add(t.equals(tag) ? reward : OTHER_TAG);
                strictGroups.get(t).add(t.equals(tag) ? strict : OTHER_TAG);
            }
        }
        groupRewards.putAll(groups);
        groupStrictRewards.putAll(strictGroups);
        Map<String, Object> reply = new LinkedHashMap<>();
        reply.put("scores", scores);
        reply.put("rewards", rewards);
        reply.put("strict_rewards", strictRewards);
        reply.put("group_rewards", groupRewards);
        reply.put("group_strict_rewards", groupStrictRewards);
        return reply;
    }

    private static void send(HttpExchange ex, int status, String contentType, byte[] body) throws IOException {
        ex.getResponseHeaders().set("Content-Type", contentType);
        ex.sendResponseHeaders(status, body.length == 0 ? -1 : body.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(body);
        }
    }

    private static String traceback(Throwable e) {
        StringWriter w = new StringWriter();
        e.printStackTrace(new PrintWriter(w));
        return w.toString();
    }

    /** The command line of the server. */
    static final CommandLine COMMAND_LINE = new CommandLine("bin/geneval-server",
            "A GenEval reward server for the Shapes world (scores with the Shapes checker); serves until stopped.",
            null,
            List.of(Option.value("host", "HOST", "the address to listen on (loopback by default: this machine only)",
                            "127.0.0.1"),
                    Option.value("port", "PORT", "the port; 0 picks a free one", String.valueOf(DEFAULT_PORT))),
            "Clients post pickled GenEval requests to http://HOST:PORT/, e.g. bin/demo --reward geneval=http://127.0.0.1:"
                    + DEFAULT_PORT + "\n");

    /**
     * @param args {@code [--host H] [--port N]}
     * @return the running server
     * @throws UsageException naming a bad argument
     * @throws IOException when the address cannot be bound
     */
    static ShapesGenEvalServer startFromArgs(String[] args) throws IOException {
        return start(COMMAND_LINE.parse(args, Path.of("").toAbsolutePath()));
    }

    private static ShapesGenEvalServer start(Arguments a) throws IOException {
        if (a.text("host").isBlank()) {
            throw a.bad("host", "must be a host name or address");
        }
        int port = a.integer("port", 0);
        if (port > 65535) {
            throw a.bad("port", "must be in [0, 65535]");
        }
        return builder().optHost(a.text("host")).optPort(port).start();
    }

    /**
     * Serves until the process is stopped.
     *
     * @param args see {@code --help}
     */
    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err, Path.of("").toAbsolutePath()));
    }

    /**
     * The command: starts the server and serves until the process is stopped (Ctrl-C).
     *
     * @param args the command line
     * @param out where the URL and the usage go
     * @param err where errors go
     * @param cwd the working directory (the server reads no paths; kept for the commands' common form)
     * @return the exit status: 0 help or stopped, 1 when it cannot listen, 2 a usage error
     */
    static int run(String[] args, PrintStream out, PrintStream err, Path cwd) {
        return COMMAND_LINE.execute(args, cwd, out, err, a -> {
            ShapesGenEvalServer server = start(a);
            CountDownLatch stopped = new CountDownLatch(1);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                server.close();
                stopped.countDown();
            }, "shapes-geneval-shutdown"));
            out.println("Shapes GenEval server listening on " + server.uri() + " (POST pickled GenEval requests; Ctrl-C stops it)");
            out.flush();
            stopped.await();
            return 0;
        });
    }

    /** Builder; validated by {@link #start()}. */
    public static final class Builder {
        private String host = "127.0.0.1";
        private int port = DEFAULT_PORT;
        private ShapesChecker checker = new ShapesChecker();
        private int maxRequestBytes = DEFAULT_MAX_REQUEST_BYTES;
        private int threads = 2;
        private int connections = 16;
        private Duration readTimeout = DEFAULT_READ_TIMEOUT;

        private Builder() {}

        /** @param host the address to listen on, a name or literal (default 127.0.0.1, loopback only) @return this */
        public Builder optHost(String host) {
            this.host = host;
            return this;
        }

        /** @param port the port, in [0, 65535]; 0 picks a free one (default {@value #DEFAULT_PORT}) @return this */
        public Builder optPort(int port) {
            this.port = port;
            return this;
        }

        /** @param checker scores the images (default: the default tolerances) @return this */
        public Builder optChecker(ShapesChecker checker) {
            this.checker = checker;
            return this;
        }

        /** @param maxRequestBytes the largest request body read, at least 1 (default 64 MiB) @return this */
        public Builder optMaxRequestBytes(int maxRequestBytes) {
            this.maxRequestBytes = maxRequestBytes;
            return this;
        }

        /**
         * @param connections connections served at once, reading requests and waiting to be
         *     scored, in [1, 1024] (default 16): what slow clients must outnumber to delay others
         * @return this
         */
        public Builder optConnections(int connections) {
            this.connections = connections;
            return this;
        }

        /**
         * @param readTimeout how long a connection may take to send its whole request, headers and
         *     body, before it is closed, positive (default 30 s)
         * @return this
         */
        public Builder optReadTimeout(Duration readTimeout) {
            this.readTimeout = readTimeout;
            return this;
        }

        /** @param threads requests scored at once, in [1, 64] (default 2) @return this */
        public Builder optThreads(int threads) {
            this.threads = threads;
            return this;
        }

        /**
         * @return the server, bound and serving
         * @throws IllegalArgumentException naming the first bad field
         * @throws IOException when the address cannot be bound (e.g. the port is taken)
         */
        public ShapesGenEvalServer start() throws IOException {
            if (host == null || host.isBlank()) {
                throw new IllegalArgumentException("host must be a host name or address, got '" + host + "'");
            }
            if (port < 0 || port > 65535) {
                throw new IllegalArgumentException("port must be in [0, 65535], got " + port);
            }
            if (checker == null) {
                throw new IllegalArgumentException("checker must not be null");
            }
            if (maxRequestBytes < 1) {
                throw new IllegalArgumentException("maxRequestBytes must be >= 1, got " + maxRequestBytes);
            }
            if (threads < 1 || threads > 64) {
                throw new IllegalArgumentException("threads must be in [1, 64], got " + threads);
            }
            if (connections < 1 || connections > 1024) {
                throw new IllegalArgumentException("connections must be in [1, 1024], got " + connections);
            }
            if (readTimeout == null || readTimeout.isNegative() || readTimeout.isZero()) {
                throw new IllegalArgumentException("readTimeout must be positive, got " + readTimeout);
            }
            try {
                return new ShapesGenEvalServer(this);
            } catch (IOException e) {
                throw new IOException("cannot listen on " + host + ":" + port + ": " + e.getMessage(), e);
            }
        }
    }
}
