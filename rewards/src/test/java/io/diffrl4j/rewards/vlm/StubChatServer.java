package io.diffrl4j.rewards.vlm;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.Headers;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

/**
 * A chat-completions server on loopback for the tests: records every request, counts requests in
 * flight (and the most at once), and answers with what the test's handler decides. Its threads are
 * unbounded so that only the client can limit concurrency.
 */
final class StubChatServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** What the stub replies. */
    record Reply(int status, String body) {}

    /** One received request. */
    record Received(String method, String path, Headers headers, JsonNode body) {
        /** @return the text part of the first message */
        String text() {
            return body.path("messages").path(0).path("content").path(1).path("text").asText();
        }
    }

    /** Decides the reply to a request; may block to hold it in flight. */
    interface Handler {
        Reply handle(Received request) throws Exception;
    }

    private final HttpServer server;
    private final ExecutorService threads;
    private final Handler handler;
    private final Consumer<Received> afterReply;
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final List<String> answeredTexts = new CopyOnWriteArrayList<>();
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();

    StubChatServer(Handler handler) throws IOException {
        this(handler, r -> {});
    }

    /** @param afterReply told of each request once its reply has been sent */
    StubChatServer(Handler handler, Consumer<Received> afterReply) throws IOException {
        this.handler = handler;
        this.afterReply = afterReply;
        this.server = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 100);
        this.threads = Executors.newCachedThreadPool(r -> {
            Thread t = new Thread(r, "stub-chat-server");
            t.setDaemon(true);
            return t;
        });
        server.setExecutor(threads);
        server.createContext("/", this::serve);
        server.start();
    }

    /** @param content the assistant's text, or null for a null content @return a 200 chat completion */
    static Reply answer(String content) {
        ObjectNode root = JSON.createObjectNode();
        root.put("id", "chatcmpl-stub");
        root.put("object", "chat.completion");
        ObjectNode message = root.putArray("choices").addObject().put("index", 0).putObject("message");
        message.put("role", "assistant");
        if (content == null) {
            message.putNull("content");
        } else {
            message.put("content", content);
        }
        return new Reply(200, root.toString());
    }

    private void serve(HttpExchange exchange) throws IOException {
        int now = inFlight.incrementAndGet();
        maxInFlight.accumulateAndGet(now, Math::max);
        Reply reply;
        Received request = null;
        try (InputStream in = exchange.getRequestBody()) {
            byte[] bytes = in.readAllBytes();
            request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                    exchange.getRequestHeaders(), JSON.readTree(bytes));
            received.add(request);
            reply = handler.handle(request);
        } catch (Exception e) {
            reply = new Reply(500, "stub handler failed: " + e);
        } finally {
            // Decremented before the reply is sent: the client cannot start a new request before this.
            inFlight.decrementAndGet();
        }
        byte[] out = reply.body().getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(reply.status(), out.length);
        try (OutputStream o = exchange.getResponseBody()) {
            o.write(out);
        }
        if (request != null) {
            answeredTexts.add(request.text());
            afterReply.accept(request);
        }
    }

    /** @return the server root, without {@code /v1} */
    URI root() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort());
    }

    /** @return the base URL as users give it, {@code http://127.0.0.1:port/v1} */
    URI base() {
        return URI.create(root() + "/v1");
    }

    /** @return every request received, in arrival order */
    List<Received> received() {
        return received;
    }

    /** @return the text part of each answered request, in the order the replies were sent */
    List<String> answeredTexts() {
        return answeredTexts;
    }

    /** @return the most requests that were in flight at once */
    int maxInFlight() {
        return maxInFlight.get();
    }

    @Override
    public void close() {
        server.stop(0);
        threads.shutdownNow();
    }
}
