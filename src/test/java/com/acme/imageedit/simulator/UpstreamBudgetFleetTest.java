package com.acme.imageedit.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assumptions.assumeThat;
import static org.awaitility.Awaitility.await;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.Test;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;

/**
 * The shared budget's promise, against a strict stand-in for TheRouter: an account limit of R requests per second
 * counted over every request that carries the key to its origin (submits, polls, {@code /content}, the redirect hop to
 * the result file on the same origin). Three replicas with a budget of 0.8 R drain a burst of jobs whose results come
 * from that origin: TheRouter never answers 429, and the gate counted exactly the requests TheRouter saw.
 */
class UpstreamBudgetFleetTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final double R = 20;
    private static final int JOBS = 40;
    private static final List<String> SENT_NOTHING = List.of("not_permitted", "skipped", "error");

    @Test
    void threeReplicasAtEightyPercentOfTheAccountLimitNeverHitItAndTheGateCountsEveryRequest() {
        var database = Replicas.freshDatabase();
        assumeThat(database).as("needs a database of its own on the test PostgreSQL server").isNotNull();
        SimulatorProperties strict = SimulatorProperties.withTimeScale(0.02).withResults(ResultHost.OWN_ORIGIN)
                .refusingChunkedRequests();
        try (TheRouterSimulator therouter = TheRouterSimulator.start(strict); Replicas replicas = new Replicas()) {
            therouter.setFaults(SimulatorFaults.none().withRateLimit(R, (int) Math.ceil(R)));
            String[] budget = {"--dispatch.budget.requests-per-second=" + R * 0.8, "--dispatch.budget.burst=2"};
            List<ConfigurableApplicationContext> fleet = List.of(
                    replicas.start(database, database, therouter.baseUrl(), "fleet-a", budget),
                    replicas.start(database, database, therouter.baseUrl(), "fleet-b", budget),
                    replicas.start(database, database, therouter.baseUrl(), "fleet-c", budget));

            byte[] image = TestImages.png(256, 256);
            List<String> ids = Flux.range(0, JOBS)
                    .flatMap(i -> Replicas.client(fleet.get(i % fleet.size())).post().uri("/v1/images/edits?async=true")
                            .body(BodyInserters.fromMultipartData(EditForms.simple("fleet job " + i, image)))
                            .retrieve().bodyToMono(JSON).map(job -> (String) job.get("id")), 16)
                    .collectList().block(Duration.ofMinutes(1));
            assertThat(ids).hasSize(JOBS);
            DatabaseClient db = fleet.get(0).getBean(DatabaseClient.class);
            await().atMost(Duration.ofSeconds(30 + (long) (JOBS * 8 / R))).pollInterval(Duration.ofMillis(250))
                    .until(() -> count(db, "select count(*) from jobs where status = 'SUCCEEDED'") == JOBS);

            // Each request is counted by the gate when its answer is in, before its job can move on.
            await().atMost(Duration.ofSeconds(5)).untilAsserted(() ->
                    assertThat(gateCount(fleet, null)).isEqualTo(therouter.stats().accountRequests()));
            SimulatorStats stats = therouter.stats();
            long downloads = gateCount(fleet, "download");
            System.out.printf("FLEET jobs=%d R=%.0f accountRequests=%d gate=%d (downloads %d) content=%d files=%d "
                            + "429s=%d%n", JOBS, R, stats.accountRequests(), gateCount(fleet, null), downloads,
                    stats.contentCalls(), stats.fileDownloads(), stats.rateLimited429s());
            assertThat(stats.rateLimited429s()).as("429 answers from the account limit").isZero();
            assertThat(stats.lengthRequired()).as("submits refused for a chunked body").isZero();
            assertThat(stats.submitsAccepted()).isEqualTo(JOBS);
            assertThat(stats.contentCalls()).as("results fetched from TheRouter's /content").isGreaterThanOrEqualTo(JOBS);
            assertThat(downloads).as("download requests through the gate: /content and the file hop, per job")
                    .isEqualTo(stats.contentCalls() + stats.fileDownloads());
            assertThat(sentNothing(fleet)).as("calls held back or never sent").isZero();
        }
    }

    /** The fleet's {@code imageedit.upstream.gate} count of requests that left (of one kind, or all). */
    private static long gateCount(List<ConfigurableApplicationContext> fleet, String kind) {
        return (long) fleet.stream().flatMap(r -> r.getBean(MeterRegistry.class).find("imageedit.upstream.gate")
                        .counters().stream())
                .filter(c -> kind == null || kind.equals(c.getId().getTag("kind")))
                .filter(c -> !SENT_NOTHING.contains(c.getId().getTag("outcome")))
                .mapToDouble(Counter::count).sum();
    }

    private static long sentNothing(List<ConfigurableApplicationContext> fleet) {
        return (long) fleet.stream().flatMap(r -> r.getBean(MeterRegistry.class).find("imageedit.upstream.gate")
                        .counters().stream())
                .filter(c -> SENT_NOTHING.contains(c.getId().getTag("outcome")))
                .mapToDouble(Counter::count).sum();
    }

    private static long count(DatabaseClient db, String sql) {
        return db.sql(sql).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }
}
