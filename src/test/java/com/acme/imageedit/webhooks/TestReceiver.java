package com.acme.imageedit.webhooks;

import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Queue;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;

import reactor.core.publisher.Mono;
import reactor.netty.DisposableServer;
import reactor.netty.http.server.HttpServer;
import tools.jackson.databind.JsonNode;
import tools.jackson.databind.json.JsonMapper;

/**
 * A webhook receiver for tests: a real HTTP server on a random loopback port that records every request and answers
 * from a script (then 200), or not at all ({@link Reply#hang()}).
 */
final class TestReceiver implements AutoCloseable {

    private static final JsonMapper JSON = JsonMapper.builder().build();

    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final Queue<Reply> script = new ConcurrentLinkedQueue<>();
    private volatile Reply fallback = Reply.status(200);
    private final AtomicInteger inFlight = new AtomicInteger();
    private final AtomicInteger maxInFlight = new AtomicInteger();
    private final DisposableServer server;

    private TestReceiver(int port) {
        server = HttpServer.create().host("127.0.0.1").port(port)
                .handle((request, response) -> request.receive().aggregate().asString(StandardCharsets.UTF_8)
                        .defaultIfEmpty("")
                        .flatMap(body -> {
                            Map<String, String> headers = new TreeMap<>(String.CASE_INSENSITIVE_ORDER);
                            request.requestHeaders().forEach(h -> headers.put(h.getKey(), h.getValue()));
                            received.add(new Received(request.uri(), headers, body, Instant.now()));
                            Reply reply = script.poll();
                            Reply answer = reply == null ? fallback : reply;
                            if (answer.silent()) {
                                return Mono.never();
                            }
                            maxInFlight.accumulateAndGet(inFlight.incrementAndGet(), Math::max);
                            response.status(answer.status());
                            answer.headers().forEach(response::header);
                            return Mono.delay(answer.delay())
                                    .then(response.sendString(Mono.just("ok")).then())
                                    .doFinally(signal -> inFlight.decrementAndGet());
                        }))
                .bindNow(Duration.ofSeconds(10));
    }

    static TestReceiver start() {
        return new TestReceiver(0);
    }

    /** On a port of the test's choosing: a receiver that comes back after being down. */
    static TestReceiver startOn(int port) {
        return new TestReceiver(port);
    }

    String url(String path) {
        return "http://127.0.0.1:" + server.port() + path;
    }

    int port() {
        return server.port();
    }

    /** The next answers, in order; after them, the fallback. */
    TestReceiver thenAnswer(Reply... replies) {
        script.addAll(List.of(replies));
        return this;
    }

    TestReceiver always(Reply reply) {
        this.fallback = reply;
        return this;
    }

    /** The most requests this receiver held at once (among those it answered). */
    int maxInFlight() {
        return maxInFlight.get();
    }

    List<Received> all() {
        return List.copyOf(received);
    }

    /** The requests whose envelope is about {@code jobId}. */
    List<Received> forJob(String jobId) {
        return received.stream().filter(r -> jobId.equals(r.json().path("data").path("id").asString())).toList();
    }

    @Override
    public void close() {
        server.disposeNow(Duration.ofSeconds(5));
    }

    record Received(String uri, Map<String, String> headers, String body, Instant at) {

        JsonNode json() {
            try {
                return JSON.readTree(body);
            } catch (RuntimeException e) {
                return JSON.createObjectNode();
            }
        }

        String header(String name) {
            return headers.get(name);
        }
    }

    record Reply(int status, Map<String, String> headers, boolean silent, Duration delay) {

        static Reply status(int status) {
            return new Reply(status, Map.of(), false, Duration.ZERO);
        }

        static Reply status(int status, String header, String value) {
            return new Reply(status, Map.of(header, value), false, Duration.ZERO);
        }

        static Reply slow(int status, Duration delay) {
            return new Reply(status, Map.of(), false, delay);
        }

        static Reply hang() {
            return new Reply(0, Map.of(), true, Duration.ZERO);
        }
    }
}
