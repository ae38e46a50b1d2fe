package com.acme.imageedit.dispatch;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.util.FileSystemUtils;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * PostgreSQL stops under load (for 3 s here, TheRouter's 30 s time-scaled; bench/database-outage.sh runs 30 s): the API
 * answers 503 problem+json within 2 s meanwhile, the workers ride it out, and afterwards every accepted job completes
 * without any being submitted twice. The database is a server of this test's own, so that it can stop it.
 */
class DatabaseOutageTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final Duration OUTAGE = Duration.ofMillis(Long.getLong("outage.millis", 3000));

    private final Replicas replicas = new Replicas();
    private EmbeddedPostgres postgres;
    private Path data;

    @AfterEach
    void stop() throws IOException {
        replicas.close();
        if (postgres != null) {
            postgres.close();
        }
        if (data != null) {
            FileSystemUtils.deleteRecursively(data);
        }
    }

    @Test
    void apiAnswers503DuringAnOutageAndEveryAcceptedJobCompletesOnceAfterwards() throws Exception {
        data = Files.createTempDirectory("outage-pg");
        postgres = server(data, 0);
        int pgPort = postgres.getPort();
        try (Connection c = postgres.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database outage");
        }
        var database = new TestDatabase("localhost", pgPort, "outage", "postgres",
                "postgres");
        ConfigurableApplicationContext replica = replicas.start(database, database, simulator.baseUrl(), "outage",
                "--dispatch.max-error-backoff=1s", "--dispatch.reconnect-grace=5s");
        simulator.reset();
        WebClient client = Replicas.client(replica);
        byte[] image = TestImages.png(256, 256);
        String run = "outage-" + System.nanoTime();

        List<String> accepted = new ArrayList<>(submit(client, run, 0, 30, image));
        postgres.close(); // under load: 30 jobs are queued, being submitted or running
        long stoppedAt = System.nanoTime();
        List<Long> answerMillis = new ArrayList<>();
        while (System.nanoTime() - stoppedAt < OUTAGE.toNanos()) {
            long start = System.nanoTime();
            var post = client.post().uri("/v1/images/edits?async=true")
                    .body(BodyInserters.fromMultipartData(EditForms.simple(run + " during", image)))
                    .exchangeToMono(r -> r.bodyToMono(JSON).map(body -> Map.entry(r, body))).block();
            answerMillis.add((System.nanoTime() - start) / 1_000_000);
            assertThat(post.getKey().statusCode().value()).isEqualTo(503);
            assertThat(post.getKey().headers().contentType()).contains(MediaType.APPLICATION_PROBLEM_JSON);
            assertThat(post.getValue()).containsEntry("status", 503);
            start = System.nanoTime();
            int getStatus = client.get().uri("/v1/jobs/" + accepted.get(0))
                    .exchangeToMono(r -> r.releaseBody().thenReturn(r.statusCode().value())).block();
            answerMillis.add((System.nanoTime() - start) / 1_000_000);
            assertThat(getStatus).isEqualTo(503);
        }
        System.out.printf("OUTAGE %d API calls during %d ms, slowest answer %d ms%n", answerMillis.size(),
                OUTAGE.toMillis(), answerMillis.stream().mapToLong(Long::longValue).max().orElse(0));
        assertThat(answerMillis).isNotEmpty().allSatisfy(ms -> assertThat(ms).isLessThan(2000));

        postgres = server(data, pgPort);
        accepted.addAll(submit(client, run, 30, 10, image)); // no restart: the same replica serves again at once
        DatabaseClient db = replica.getBean(DatabaseClient.class);
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(300)).until(() ->
                db.sql("select count(*) from jobs where status = 'SUCCEEDED'")
                        .map((row, meta) -> row.get(0, Long.class)).one().block() == accepted.size());
        assertThat(simulator.stats().submitsAccepted()).isEqualTo(accepted.size());
        assertThat(simulator.stats().duplicateSubmits()).isZero();
    }

    private static List<String> submit(WebClient client, String run, int from, int n, byte[] image) {
        return Flux.range(from, n)
                .flatMap(i -> client.post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(run + " job " + i, image)))
                        .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id")), 16)
                .collectList().block(Duration.ofSeconds(60));
    }

    private static EmbeddedPostgres server(Path data, int port) throws IOException {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setDataDirectory(data)
                .setCleanDataDirectory(false)
                .setServerConfig("fsync", "off")
                .setServerConfig("synchronous_commit", "off");
        if (port > 0) {
            builder.setPort(port);
        }
        return builder.start();
    }
}
