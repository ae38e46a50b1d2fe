package com.acme.imageedit.hostile;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.support.TestImages;
import com.acme.imageedit.system.BodiesInFlight;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.Timeout;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.io.buffer.DataBuffer;
import org.springframework.core.io.buffer.DefaultDataBufferFactory;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The per-replica bound on request bodies in flight (limits.max-bodies-in-flight), on a replica where it holds three
 * submits of 900 KB: a fourth is refused 503 problem+json with Retry-After before a byte of it is read (and before a
 * 100 Continue), multipart as JSON, nothing refused is stored, the replica stays healthy, and the bound is back at
 * zero however uploads end (answered, refused, aborted by the client, cancelled, waiting for their job).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
@Timeout(value = 3, unit = TimeUnit.MINUTES)
class BodiesInFlightTest {

    private static final int BODY = 900_000;
    private static final long BOUND = 3L * BODY;

    private final Replicas replicas = new Replicas();
    private ConfigurableApplicationContext replica;
    private int port;
    private BodiesInFlight bodies;

    @BeforeAll
    void startReplica() {
        TestDatabase database = Replicas.freshDatabase();
        replica = replicas.start(database, database, URI.create("http://127.0.0.1:9"), "bodies",
                "--dispatch.enabled=false", "--webhooks.enabled=false",
                "--limits.max-request-size=1MB", "--limits.max-bodies-in-flight=" + BOUND + "B",
                "--jobs.max-image-size=512KB", "--jobs.max-wait=30s");
        port = Replicas.port(replica);
        bodies = replica.getBean(BodiesInFlight.class);
    }

    @AfterAll
    void stop() {
        replicas.close();
    }

    @Test
    void aFullReplicaRefusesTheNextBodyBeforeReadingItAndServesTheOthers() throws Exception {
        double refusedBefore = refusals();
        List<Socket> slow = new ArrayList<>();
        try {
            byte[] json = json(BODY);
            for (int i = 0; i < 3; i++) {
                slow.add(startUpload("demo-a-key", "application/json", json, 1000, false));
            }
            await().atMost(Duration.ofSeconds(20)).until(() -> bodies.inFlight() == BOUND);

            // JSON and multipart alike: refused before the body, with no 100 Continue first.
            for (String type : List.of("application/json", "multipart/form-data; boundary=xyz")) {
                try (Socket refused = startUpload("demo-a-key", type, json, 0, true)) {
                    String answer = readAll(refused.getInputStream());
                    assertThat(answer).as("answer to %s", type).startsWith("HTTP/1.1 503 ")
                            .containsIgnoringCase("content-type: application/problem+json")
                            .containsIgnoringCase("retry-after: 1")
                            .containsIgnoringCase("connection: close")
                            .contains("\"code\":\"server_busy\"", "\"field\":\"body\"")
                            .doesNotContain("100 Continue");
                }
            }
            // A client that sends its body anyway gets its answer whole, and its connection carries on.
            try (Socket anyway = startUpload("demo-a-key", "application/json", json, json.length, false,
                    "keep-alive")) {
                InputStream in = anyway.getInputStream();
                String head = head(in);
                assertThat(head).startsWith("HTTP/1.1 503 ").containsIgnoringCase("retry-after: 1")
                        .doesNotContainIgnoringCase("connection: close");
                int length = Integer.parseInt(head.replaceAll("(?is).*content-length: (\\d+).*", "$1"));
                assertThat(new String(in.readNBytes(length), StandardCharsets.UTF_8)).contains("server_busy");
                anyway.getOutputStream().write("GET / HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n"
                        .getBytes(StandardCharsets.US_ASCII));
                assertThat(readAll(in)).startsWith("HTTP/1.1 200 ");
            }
            assertThat(bodies.inFlight()).isEqualTo(BOUND);
            assertThat(refusals() - refusedBefore).isEqualTo(3);

            // The three held finish their bodies and are accepted.
            for (Socket upload : slow) {
                upload.getOutputStream().write(json, 1000, json.length - 1000);
                upload.getOutputStream().flush();
            }
            for (Socket upload : slow) {
                assertThat(readAll(upload.getInputStream())).startsWith("HTTP/1.1 202 ");
            }
        } finally {
            for (Socket socket : slow) {
                socket.close();
            }
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.inFlight() == 0);
        assertThat(jobs("demo-a")).as("jobs stored: the three accepted, none refused").isEqualTo(3);
        assertHealthy();
    }

    @Test
    void theBoundIsBackAtZeroHoweverUploadsEnd() throws Exception {
        // Clients that go away mid-body.
        List<Socket> aborted = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            aborted.add(startUpload("demo-b-key", "application/json", json(BODY), 50_000, false));
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> bodies.inFlight() == BOUND);
        for (Socket socket : aborted) {
            socket.setSoLinger(true, 0);
            socket.close();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> bodies.inFlight() == 0);

        // A chunked upload cancelled by its client after its first chunk.
        DataBuffer chunk = DefaultDataBufferFactory.sharedInstance.wrap(json(BODY).clone());
        Disposable cancelled = Replicas.client(replica).post().uri("/v1/images/edits?async=true")
                .contentType(MediaType.APPLICATION_JSON)
                .body(BodyInserters.fromDataBuffers(Flux.just(chunk).concatWith(Flux.never())))
                .retrieve().toBodilessEntity().subscribe(ok -> { }, failed -> { });
        await().atMost(Duration.ofSeconds(20)).until(() -> bodies.inFlight() > 0);
        cancelled.dispose();
        await().atMost(Duration.ofSeconds(20)).until(() -> bodies.inFlight() == 0);

        // Answered with errors: malformed JSON (400), an image that is not one (415), a chunked body past
        // limits.max-request-size (413).
        assertThat(post("demo-b-key", "{\"prompt\":\"x\",\"image\":".getBytes(StandardCharsets.UTF_8)))
                .startsWith("HTTP/1.1 400 ");
        String notAnImage = "{\"prompt\":\"x\",\"image\":\"" + Base64.getEncoder().encodeToString(new byte[400_000])
                + "\"}";
        assertThat(post("demo-b-key", notAnImage.getBytes(StandardCharsets.UTF_8))).startsWith("HTTP/1.1 415 ");
        assertThat(postChunked("demo-b-key", 2_000_000)).satisfiesAnyOf(
                answer -> assertThat(answer).startsWith("HTTP/1.1 413 "), answer -> assertThat(answer).isEmpty());
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.inFlight() == 0);

        // A submit that waits for its job (team held: its jobs stay queued) holds nothing once stored.
        try (Socket waiting = new Socket("127.0.0.1", port)) {
            waiting.setSoTimeout(30_000);
            byte[] body = json(BODY);
            waiting.getOutputStream().write(("POST /v1/images/edits HTTP/1.1\r\nHost: localhost\r\n"
                    + "Authorization: Bearer held-key\r\nContent-Type: application/json\r\nPrefer: wait=25\r\n"
                    + "Content-Length: " + body.length + "\r\nConnection: close\r\n\r\n")
                    .getBytes(StandardCharsets.US_ASCII));
            waiting.getOutputStream().write(body);
            waiting.getOutputStream().flush();
            await().atMost(Duration.ofSeconds(20)).until(() -> jobs("held") == 1);
            await().atMost(Duration.ofSeconds(5)).until(() -> bodies.inFlight() == 0);
            assertThat(waiting.getInputStream().available()).as("no answer yet: it waits for its job").isZero();
        }
        assertHealthy();
    }

    @Test
    void concurrentUploadsAreAcceptedOrRefusedCleanlyAndNothingRefusedIsStored() throws Exception {
        byte[] json = json(BODY);
        long storedBefore = jobs("demo-b");
        ExecutorService clients = Executors.newFixedThreadPool(12);
        List<Future<String>> answers = new ArrayList<>();
        try {
            for (int i = 0; i < 12; i++) {
                // each asks first (Expect: 100-continue) and then sends its body in 64 KB pieces 40 ms apart (about
                // 0.6 s a body), so that they overlap
                answers.add(clients.submit(() -> pacedUpload("demo-b-key", json, Duration.ofMillis(40))));
            }
            Map<Integer, Integer> statuses = new LinkedHashMap<>();
            for (Future<String> future : answers) {
                String answer = future.get(90, TimeUnit.SECONDS);
                int status = Integer.parseInt(answer.substring(9, 12));
                statuses.merge(status, 1, Integer::sum);
                if (status == 503) {
                    assertThat(answer).containsIgnoringCase("content-type: application/problem+json")
                            .containsIgnoringCase("retry-after: 1").contains("\"code\":\"server_busy\"");
                } else {
                    assertThat(status).as("answer: %s", answer).isEqualTo(202);
                }
            }
            System.out.printf("[bodies-in-flight] 12 concurrent uploads of %d bytes under a bound of %d: %s%n", BODY,
                    BOUND, statuses);
            assertThat(statuses.getOrDefault(503, 0)).as("refused").isPositive();
            assertThat(statuses.getOrDefault(202, 0)).as("accepted").isPositive();
            assertThat(jobs("demo-b") - storedBefore).as("jobs stored").isEqualTo((long) statuses.getOrDefault(202, 0));
        } finally {
            clients.shutdownNow();
        }
        await().atMost(Duration.ofSeconds(10)).until(() -> bodies.inFlight() == 0);
        assertHealthy();
    }

    /**
     * A submit that sends {@code Expect: 100-continue}, and its body (in 64 KB pieces, {@code pace} apart) only after
     * a 100 Continue; the final answer, whole.
     */
    private String pacedUpload(String key, byte[] body, Duration pace) throws Exception {
        try (Socket socket = startUpload(key, "application/json", body, 0, true)) {
            InputStream in = socket.getInputStream();
            String first = head(in);
            if (!first.startsWith("HTTP/1.1 100")) {
                return first + readAll(in);
            }
            OutputStream out = socket.getOutputStream();
            for (int at = 0; at < body.length; at += 65536) {
                Thread.sleep(pace.toMillis());
                out.write(body, at, Math.min(65536, body.length - at));
                out.flush();
            }
            return readAll(in);
        }
    }

    /** One response head, up to and with its empty line. */
    private static String head(InputStream in) throws IOException {
        StringBuilder head = new StringBuilder();
        while (!head.toString().endsWith("\r\n\r\n")) {
            int b = in.read();
            if (b < 0) {
                break;
            }
            head.append((char) b);
        }
        return head.toString();
    }

    /** A JSON submit of a real PNG, padded with spaces to {@code size} bytes. */
    private static byte[] json(int size) {
        String document = "{\"prompt\":\"a watercolor\",\"image\":\""
                + Base64.getEncoder().encodeToString(TestImages.png(256, 256)) + "\"}";
        return (document + " ".repeat(size - document.length())).getBytes(StandardCharsets.US_ASCII);
    }

    /** Opens a submit declaring {@code body.length} bytes and sends its head and the first {@code sent} bytes. */
    private Socket startUpload(String key, String type, byte[] body, int sent, boolean expectContinue)
            throws IOException {
        return startUpload(key, type, body, sent, expectContinue, "close");
    }

    private Socket startUpload(String key, String type, byte[] body, int sent, boolean expectContinue,
                               String connection) throws IOException {
        Socket socket = new Socket("127.0.0.1", port);
        socket.setSoTimeout(30_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /v1/images/edits?async=true HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer " + key
                + "\r\nContent-Type: " + type + "\r\nContent-Length: " + body.length + "\r\n"
                + (expectContinue ? "Expect: 100-continue\r\n" : "") + "Connection: " + connection + "\r\n\r\n")
                .getBytes(StandardCharsets.US_ASCII));
        out.write(body, 0, sent);
        out.flush();
        return socket;
    }

    private String post(String key, byte[] body) throws IOException {
        try (Socket socket = startUpload(key, "application/json", body, body.length, false)) {
            return readAll(socket.getInputStream());
        }
    }

    /** A chunked body of {@code size} bytes, sent until the server stops reading. */
    private String postChunked(String key, int size) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            try {
                out.write(("POST /v1/images/edits?async=true HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer "
                        + key + "\r\nContent-Type: application/json\r\nTransfer-Encoding: chunked\r\n"
                        + "Connection: close\r\n\r\n").getBytes(StandardCharsets.US_ASCII));
                byte[] chunk = ("10000\r\n" + " ".repeat(0x10000) + "\r\n").getBytes(StandardCharsets.US_ASCII);
                for (int sent = 0; sent < size; sent += 0x10000) {
                    out.write(chunk);
                }
                out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            } catch (IOException closedByServer) {
                // it stopped reading: what the limit is for
            }
            return readAll(socket.getInputStream());
        }
    }

    private static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream received = new ByteArrayOutputStream();
        byte[] buffer = new byte[8192];
        try {
            for (int n = in.read(buffer); n >= 0; n = in.read(buffer)) {
                received.write(buffer, 0, n);
            }
        } catch (java.net.SocketException reset) {
            // closed with our bytes unread: keep what arrived
        }
        return received.toString(StandardCharsets.ISO_8859_1);
    }

    private long jobs(String team) {
        return replica.getBean(DatabaseClient.class).sql("select count(*) from jobs where team_id = :team")
                .bind("team", team).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }

    private double refusals() {
        return replica.getBean(MeterRegistry.class).get("imageedit.client.cutoffs").tag("limit", "bodies_in_flight")
                .counter().count();
    }

    private void assertHealthy() {
        RawHttp.Answer page = RawHttp.exchange(port, RawHttp.request("GET / HTTP/1.1", Map.of("Host", "localhost"),
                new byte[0]));
        assertThat(page.status()).as("the web page: %s", page).isEqualTo(200);
        Mono<String> health = Replicas.managementClient(replica).get().uri("/actuator/health/readiness").retrieve()
                .bodyToMono(String.class);
        assertThat(health.block(Duration.ofSeconds(10))).contains("UP");
    }
}
