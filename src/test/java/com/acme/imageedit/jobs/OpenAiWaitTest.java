package com.acme.imageedit.jobs;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import io.netty.channel.ChannelOption;
import io.r2dbc.pool.ConnectionPool;
import io.r2dbc.spi.ConnectionFactory;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.beans.factory.annotation.Value;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The OpenAI-style submit without async=true: it waits for the job, and waiting costs no thread and no connection. */
class OpenAiWaitTest extends IntegrationTest {

    private static final Logger log = LoggerFactory.getLogger(OpenAiWaitTest.class);
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Autowired
    JobEvents events;

    @Value("${spring.r2dbc.pool.max-size}")
    int poolSize;

    @Autowired
    ConnectionFactory connections;

    @Test
    void theWaitingCallAnswersOpenAisShapeWithTheStoredResult() {
        Map<String, Object> answer = http().post().uri("/v1/images/edits")
                .body(BodyInserters.fromMultipartData(EditForms.simple("make it pop", TestImages.png(256, 256))))
                .exchange().expectStatus().isOk()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_JSON)
                .expectBody(JSON).returnResult().getResponseBody();

        assertThat(answer.get("created")).isInstanceOf(Number.class);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> data = (List<Map<String, Object>>) answer.get("data");
        assertThat(data).hasSize(1);
        byte[] image = Base64.getDecoder().decode((String) data.get(0).get("b64_json"));
        String id = db.sql("select id from jobs where status = 'SUCCEEDED' and prompt = 'make it pop'")
                .map((row, meta) -> row.get(0, String.class)).one().block();
        byte[] stored = http().get().uri("/v1/jobs/{id}/content", id).exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(image).isEqualTo(stored);
        assertThat(TestImages.decode(image).getWidth()).isPositive();
    }

    @Test
    void responseFormatUrlAnswersASignedLinkThatWorksWithoutAKey() {
        MultipartBodyBuilder form = EditForms.edit("as a link", TestImages.png(256, 256));
        form.part("response_format", "url");
        Map<String, Object> answer = http().post().uri("/v1/images/edits")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
        @SuppressWarnings("unchecked")
        String url = (String) ((List<Map<String, Object>>) answer.get("data")).get(0).get("url");
        assertThat(url).startsWith(baseUrl() + "/files/results/img_");
        byte[] image = http(null).get().uri(url).exchange().expectStatus().isOk()
                .expectBody(byte[].class).returnResult().getResponseBody();
        assertThat(TestImages.decode(image).getWidth()).isPositive();
    }

    @Test
    void aTinyWaitBoundAnswers202WithTheJobWhichLaterSucceeds() {
        Map<String, Object> job = http().post().uri("/v1/images/edits")
                .header("Prefer", "wait=0")
                .body(BodyInserters.fromMultipartData(EditForms.simple("no time to wait", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted()
                .expectHeader().valueEquals("Preference-Applied", "wait=0")
                .expectBody(JSON).returnResult().getResponseBody();
        assertThat(job).containsEntry("object", "image_job").containsEntry("status", "queued");
        await().atMost(Duration.ofSeconds(20)).until(() -> "succeeded".equals(http().get()
                .uri("/v1/jobs/{id}", job.get("id")).exchange().expectBody(JSON).returnResult().getResponseBody()
                .get("status")));
    }

    @Test
    void preferWaitOnTheAsyncPathAnswersTheEndedJob() {
        http().post().uri("/v1/images/edits?async=true")
                .header("Prefer", "wait=20")
                .body(BodyInserters.fromMultipartData(EditForms.simple("async but patient", TestImages.png(256, 256))))
                .exchange().expectStatus().isOk()
                .expectHeader().valueEquals("Preference-Applied", "wait=20")
                .expectBody().jsonPath("$.status").isEqualTo("succeeded")
                .jsonPath("$.unsigned_urls[0]").exists();
    }

    @Test
    void aJobThatFailsWhileWaitedForIsAProblemNamingTheJob() {
        http().post().uri("/v1/images/edits")
                .body(BodyInserters.fromMultipartData(EditForms.simple("doomed [sim:fail]", TestImages.png(256, 256))))
                .exchange().expectStatus().isEqualTo(502)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("upstream_failed")
                .jsonPath("$.job_id").value(id -> assertThat((String) id).startsWith("img_"));
    }

    /**
     * 500 clients wait at once (the held team's jobs stay queued), then their jobs are cancelled by a plain SQL update,
     * as another replica would: only LISTEN/NOTIFY can tell the waiters, and all of them answer.
     */
    @Test
    void fiveHundredWaitingRequestsHoldNoThreadsAndNoConnections() {
        ThreadMXBean threads = ManagementFactory.getThreadMXBean();
        ConnectionProvider connections = ConnectionProvider.builder("five-hundred-waiters").maxConnections(600)
                .pendingAcquireMaxCount(-1).build();
        WebClient client = WebClient.builder().baseUrl(baseUrl())
                .clientConnector(new ReactorClientHttpConnector(HttpClient.create(connections)
                        .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, 10_000)
                        .responseTimeout(Duration.ofSeconds(60))))
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + CancelTest.HELD_KEY).build();
        byte[] png = TestImages.png(256, 256);
        try {
            // Warm up: every event loop, scheduler and pooled connection this path uses exists afterwards.
            waitAndCancel(client, png, "warm-up", 100, threads, false);
            int before = threads.getThreadCount();
            int during = waitAndCancel(client, png, "waiter", 500, threads, true);
            log.info("Live threads before 500 waiting requests: {}, while they wait: {}", before, during);
            assertThat(during - before).as("threads added while 500 requests wait").isLessThan(5);
        } finally {
            connections.disposeLater().block(Duration.ofSeconds(10));
        }
    }

    private int waitAndCancel(WebClient client, byte[] png, String prefix, int n, ThreadMXBean threads,
                              boolean measure) {
        int subscribedBefore = events.subscribedJobs();
        Mono<List<Integer>> answers = Flux.range(0, n)
                // Paced so that the submits themselves (a budget row every one updates) stay within the pool's
                // acquire timeout; the waits they start all overlap.
                .delayElements(Duration.ofMillis(8))
                .flatMap(i -> client.post().uri("/v1/images/edits").header("Prefer", "wait=50")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(prefix + " " + i, png)))
                        .exchangeToMono(response -> response.releaseBody().thenReturn(response.statusCode().value())),
                        n)
                .collectList()
                .cache();
        answers.subscribe();
        await().pollInSameThread().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(100))
                .until(() -> events.subscribedJobs() - subscribedBefore >= n);
        int during = threads.getThreadCount();
        if (measure) {
            long held = count("select count(*) from pg_stat_activity where datname = current_database()");
            int acquired = ((ConnectionPool) connections).getMetrics().orElseThrow().acquiredSize();
            log.info("Database connections while {} requests wait: {} open (pool size {}), {} in use", n, held,
                    poolSize, acquired);
            assertThat(held).as("database connections while %d requests wait", n).isLessThanOrEqualTo(poolSize);
            // In use: the LISTEN connection and the workers' and this test's momentary queries, not one per waiter.
            assertThat(acquired).as("connections in use while %d requests wait", n).isLessThan(10);
        }
        long cancelled = db.sql("update jobs set status = 'CANCELLED', finished_at = now(), version = version + 1 "
                        + "where team_id = 'held' and status = 'QUEUED' and prompt like :prefix")
                .bind("prefix", prefix + " %").fetch().rowsUpdated().block();
        assertThat(cancelled).isEqualTo(n);
        List<Integer> statuses = answers.block(Duration.ofSeconds(60));
        // Cancelled while waited for: the OpenAI-style call answers a 409 problem naming the job.
        assertThat(statuses).hasSize(n).containsOnly(409);
        return during;
    }
}
