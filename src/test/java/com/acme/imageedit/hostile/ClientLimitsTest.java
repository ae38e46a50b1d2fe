package com.acme.imageedit.hostile;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * Slow and oversized clients against a replica whose limits are scaled down to seconds (limits.*): each is cut off
 * within its bound, answered 408/413 problem+json where an answer is possible, and the service stays healthy. A head
 * that trickles in is bounded by server.netty.idle-timeout (1 s here).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class ClientLimitsTest {

    private static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(2);
    private static final Duration READ_TIMEOUT = Duration.ofSeconds(1);
    private static final Duration IDLE_TIMEOUT = Duration.ofSeconds(1);
    /** What a loaded 2-core machine may add to a timer. */
    private static final long SLACK_MS = 1500;
    private static final int MAX_REQUEST_SIZE = 1024 * 1024;

    private final Replicas replicas = new Replicas();
    private final ExecutorService senders = Executors.newCachedThreadPool();
    private int limited;
    private int limitedManagement;

    @BeforeAll
    void startReplicas() {
        TestDatabase database = Replicas.freshDatabase();
        URI nowhere = URI.create("http://127.0.0.1:9");
        String[] common = {"--dispatch.enabled=false", "--webhooks.enabled=false",
                "--server.netty.idle-timeout=" + IDLE_TIMEOUT.toMillis() + "ms",
                "--limits.request-timeout=" + REQUEST_TIMEOUT.toMillis() + "ms",
                "--limits.read-timeout=" + READ_TIMEOUT.toMillis() + "ms",
                "--limits.max-request-size=" + MAX_REQUEST_SIZE + "B",
                "--jobs.max-image-size=4MB"};
        ConfigurableApplicationContext replica = replicas.start(database, database, nowhere, "limits", common);
        limited = Replicas.port(replica);
        limitedManagement = Replicas.managementPort(replica);
    }

    @AfterAll
    void stop() {
        senders.shutdownNow();
        replicas.close();
    }

    @Test
    void headersTrickledAByteAtATimeAreCutOffAtTheIdleTimeout() throws Exception {
        // A byte every 100 ms: the bytes of an unfinished head do not restart Reactor Netty's idle timer.
        Trickle trickle = trickle(limited, "GET / HTTP/1.1\r\nHost: localhost\r\n", "",
                "X-Slow: " + "a".repeat(10_000), Duration.ofMillis(100));

        assertThat(trickle.answer.answered()).as("answer: %s", trickle.answer).isFalse();
        assertThat(trickle.elapsedMs).as("cut off after").isBetween(IDLE_TIMEOUT.toMillis() - 100,
                IDLE_TIMEOUT.toMillis() + SLACK_MS);
        assertHealthy(limited);
    }

    @Test
    void aHeadThatArrivesInTimeIsServedHoweverItIsPaced() throws Exception {
        // The same trickle, short enough to end within the idle timeout: answered.
        Trickle trickle = trickle(limited, "GET / HTTP/1.1\r\nHost: localhost\r\n", "",
                "X-Slow: a", Duration.ofMillis(50));

        assertThat(trickle.answer.status()).as("answer: %s", trickle.answer).isEqualTo(200);
    }

    @Test
    void aBodyTrickledInIsCutOffAtTheRequestDeadline() throws Exception {
        // A byte every 200 ms never lets the read timeout (1 s) fire; the request deadline (2 s) does.
        Trickle trickle = trickle(limited, submitHead(100_000), "", "x".repeat(100_000), Duration.ofMillis(200));

        assertThat(trickle.elapsedMs).as("cut off after").isBetween(REQUEST_TIMEOUT.toMillis() - 100,
                REQUEST_TIMEOUT.toMillis() + SLACK_MS);
        assertAnswered408(trickle.answer);
        assertHealthy(limited);
    }

    @Test
    void aBodyThatStallsIsCutOffAtTheReadTimeout() throws Exception {
        Trickle trickle = trickle(limited, submitHead(100_000) + "x".repeat(100), "", "x".repeat(10),
                Duration.ofSeconds(5));

        assertThat(trickle.elapsedMs).as("cut off after").isBetween(READ_TIMEOUT.toMillis() - 100,
                READ_TIMEOUT.toMillis() + SLACK_MS);
        assertAnswered408(trickle.answer);
        assertHealthy(limited);
    }

    @Test
    void aDeclaredOversizedBodyIsRefusedBeforeItsFirstByte() throws Exception {
        try (Socket socket = new Socket("127.0.0.1", limited)) {
            socket.setSoTimeout(10_000);
            long started = System.nanoTime();
            // Only the head: a service that read the 50 MB body before answering would never answer.
            socket.getOutputStream().write(RawHttp.request("POST /v1/images/edits?async=true HTTP/1.1",
                    Map.of("Host", "localhost", "Authorization", "Bearer demo-a-key",
                            "Content-Type", "application/json", "Content-Length", String.valueOf(50 * 1024 * 1024),
                            "Connection", "keep-alive"), new byte[0]));
            RawHttp.Answer answer = RawHttp.read(socket.getInputStream());
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            System.out.printf("[client-limits] declared 50 MB body: answered %d after %d ms%n", answer.status(),
                    elapsedMs);

            assertThat(answer.status()).as("answer: %s", answer).isEqualTo(413);
            assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
            assertThat(answer.header("connection")).isEqualToIgnoringCase("close");
            assertThat(answer.bodyText()).contains("\"field\":\"body\"", "\"code\":\"request_too_large\"");
            assertThat(elapsedMs).isLessThan(SLACK_MS);
        }
        assertHealthy(limited);
    }

    @Test
    void aChunkedBodyPastTheLimitIsCutOffWhileItStreams() throws Exception {
        long offered = 64L * 1024 * 1024;
        double cutOffsBefore = sizeCutOffs(limitedManagement);
        AtomicLong sent = new AtomicLong();
        try (Socket socket = new Socket("127.0.0.1", limited)) {
            socket.setSoTimeout(20_000);
            OutputStream out = socket.getOutputStream();
            out.write(RawHttp.request("POST /v1/images/edits?async=true HTTP/1.1",
                    Map.of("Host", "localhost", "Authorization", "Bearer demo-a-key",
                            "Content-Type", "application/json", "Transfer-Encoding", "chunked"), new byte[0]));
            Future<?> sender = senders.submit(() -> {
                byte[] chunk = ("10000\r\n" + "A".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                try {
                    while (sent.get() < offered) {
                        out.write(chunk);
                        sent.addAndGet(0x10000);
                    }
                    out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
                } catch (IOException closedByServer) {
                    // expected: the server stops reading
                }
                return null;
            });
            RawHttp.Answer answer = RawHttp.read(socket.getInputStream());
            sender.get();
            System.out.printf("[client-limits] chunked body: %s after the client sent %d of %d bytes%n",
                    answer.answered() ? "answered " + answer.status() : "closed", sent.get(), offered);

            // The 413 goes out, but the server then closes with the client's bytes unread, which resets the
            // connection; a client still sending may lose the answer to that reset. Either way: cut off early.
            if (answer.answered()) {
                assertThat(answer.status()).as("answer: %s", answer).isEqualTo(413);
                assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
                assertThat(answer.bodyText()).contains("\"code\":\"request_too_large\"");
            }
            assertThat(sent.get()).as("bytes the client got to send of %d", offered).isLessThan(offered / 4);
        }
        assertThat(sizeCutOffs(limitedManagement)).as("cut off by limits.max-request-size")
                .isEqualTo(cutOffsBefore + 1);
        assertHealthy(limited);
    }

    @Test
    void anOversizedHeadIsRefusedByTheCodec() {
        RawHttp.Answer longLine = RawHttp.exchange(limited, RawHttp.request(
                "GET /v1/jobs/" + "a".repeat(5000) + " HTTP/1.1", Map.of("Host", "localhost"), new byte[0]));
        RawHttp.Answer bigHeaders = RawHttp.exchange(limited, RawHttp.request("GET / HTTP/1.1",
                Map.of("Host", "localhost", "X-Big", "b".repeat(9000)), new byte[0]));

        assertThat(longLine.status()).as("answer: %s", longLine).isEqualTo(414);
        assertThat(bigHeaders.status()).as("answer: %s", bigHeaders).isEqualTo(431);
        assertHealthy(limited);
    }

    private static String submitHead(int contentLength) {
        return "POST /v1/images/edits?async=true HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer demo-a-key\r\n"
                + "Content-Type: multipart/form-data; boundary=xyz\r\nContent-Length: " + contentLength + "\r\n"
                + "Connection: close\r\n\r\n";
    }

    private static void assertAnswered408(RawHttp.Answer answer) {
        assertThat(answer.status()).as("answer: %s", answer).isEqualTo(408);
        assertThat(answer.header("content-type")).isEqualTo("application/problem+json");
        assertThat(answer.bodyText()).contains("\"code\":\"request_timeout\"", "\"field\":\"body\"");
    }

    /** The replica's count of requests cut off by limits.max-request-size. */
    private static double sizeCutOffs(int port) {
        RawHttp.Answer scrape = RawHttp.exchange(port, RawHttp.request("GET /actuator/prometheus HTTP/1.1",
                Map.of("Host", "localhost"), new byte[0]));
        return scrape.bodyText().lines()
                .filter(line -> line.startsWith("imageedit_client_cutoffs_total{") && line.contains(
                        "limit=\"max_request_size\""))
                .mapToDouble(line -> Double.parseDouble(line.substring(line.lastIndexOf(' ') + 1)))
                .sum();
    }

    /** The API port still serves a plain request after the hostile one. */
    private static void assertHealthy(int port) {
        RawHttp.Answer page = RawHttp.exchange(port, RawHttp.request("GET / HTTP/1.1",
                Map.of("Host", "localhost"), new byte[0]));
        assertThat(page.status()).as("the web page: %s", page).isEqualTo(200);
    }

    private record Trickle(RawHttp.Answer answer, long elapsedMs) {
    }

    /**
     * Sends {@code prefix} at once, then {@code slowly} one byte per {@code pace}, then {@code suffix}, while reading
     * the answer: how long until the server answered or closed, and what it said.
     */
    private Trickle trickle(int port, String prefix, String suffix, String slowly, Duration pace) throws Exception {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            InputStream in = socket.getInputStream();
            long started = System.nanoTime();
            out.write(prefix.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            Future<?> sender = senders.submit(() -> {
                try {
                    for (byte b : slowly.getBytes(StandardCharsets.ISO_8859_1)) {
                        Thread.sleep(pace.toMillis());
                        out.write(b);
                        out.flush();
                    }
                    out.write((suffix + (prefix.startsWith("GET") ? "Connection: close\r\n\r\n" : ""))
                            .getBytes(StandardCharsets.ISO_8859_1));
                    out.flush();
                } catch (IOException | InterruptedException closed) {
                    // the server cut the connection: what the test waits for
                }
                return null;
            });
            RawHttp.Answer answer = RawHttp.read(in);
            long elapsedMs = (System.nanoTime() - started) / 1_000_000;
            sender.cancel(true);
            System.out.printf("[client-limits] trickle %s: %s after %d ms%n", pace,
                    answer.answered() ? "answered " + answer.status() : "closed", elapsedMs);
            return new Trickle(answer, elapsedMs);
        }
    }
}
