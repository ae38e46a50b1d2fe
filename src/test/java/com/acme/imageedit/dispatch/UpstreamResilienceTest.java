package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import com.acme.imageedit.simulator.SimulatorFaults;
import com.acme.imageedit.simulator.SimulatorOutage;
import com.acme.imageedit.simulator.SimulatorStats;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The upstream budget, the shared pause, the circuit breaker and ambiguous submits, each against replicas started on a
 * database of their own (so that the shared context's generous test settings take no part) and the shared simulator.
 * Sizes can be raised for the benchmark: {@code -Dbudget.jobs=2000 -Dbudget.rate=100} (bench/upstream-budget.sh).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class UpstreamResilienceTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final int JOBS = Integer.getInteger("budget.jobs", 100);
    private static final double RATE = Double.parseDouble(System.getProperty("budget.rate", "40"));

    private final Replicas replicas = new Replicas();
    private final byte[] image = TestImages.png(256, 256);

    @Autowired
    private MeterRegistry meters;

    @BeforeEach
    void healthyUpstream() {
        simulator.reset();
    }

    @AfterAll
    void stopReplicas() {
        replicas.close();
        simulator.reset();
    }

    @Test
    void threeReplicasDrainABurstWithinTheAccountRateAndUseIt() {
        TestDatabase database = Replicas.freshDatabase();
        String[] settings = {"--dispatch.budget.requests-per-second=" + RATE * 0.98, "--dispatch.budget.burst=" + Math.max(2, (int) (RATE / 5))};
        List<ConfigurableApplicationContext> three = List.of(
                replicas.start(database, database, simulator.baseUrl(), "budget-a", settings),
                replicas.start(database, database, simulator.baseUrl(), "budget-b", settings),
                replicas.start(database, database, simulator.baseUrl(), "budget-c", settings));
        // The account allows RATE calls per second and a burst of as many; our replicas share 98% of it.
        simulator.setFaults(SimulatorFaults.none().withRateLimit(RATE, (int) Math.ceil(RATE)));

        List<String> ids = submit(three, "budget", JOBS);
        DatabaseClient db = three.get(0).getBean(DatabaseClient.class);
        await().atMost(Duration.ofSeconds(30 + (long) (JOBS * 5 / RATE))).pollInterval(Duration.ofMillis(250))
                .until(() -> count(db, "select count(*) from jobs where status = 'SUCCEEDED'") == JOBS);

        SimulatorStats stats = simulator.stats();
        Instant first = simulator.submitArrivals().stream().min(Instant::compareTo).orElseThrow();
        Instant last = db.sql("select max(finished_at) from jobs")
                .map((row, meta) -> row.get(0, java.time.OffsetDateTime.class).toInstant()).one().block();
        double seconds = Duration.between(first, last).toMillis() / 1000.0;
        long calls = stats.accountRequests(); // submits, polls and result downloads from TheRouter's origin
        double utilisation = calls / (seconds * RATE);
        System.out.printf("BUDGET jobs=%d rate=%.1f calls=%d seconds=%.2f utilisation=%.3f rateLimited429s=%d%n",
                JOBS, RATE, calls, seconds, utilisation, stats.rateLimited429s());
        assertThat(stats.rateLimited429s()).as("429s caused by our own rate").isZero();
        assertThat(stats.submitsAccepted()).isEqualTo(JOBS);
        assertThat(stats.duplicateSubmits()).isZero();
        assertThat(utilisation).as("share of the account's rate used over the drain").isGreaterThanOrEqualTo(0.9);
        assertThat(ids).hasSize(JOBS);
        for (ConfigurableApplicationContext replica : three) {
            long submitted = count(db, "select count(*) from jobs where submitted_by = '"
                    + replica.getEnvironment().getProperty("dispatch.worker-id") + "'");
            assertThat(submitted).as("every replica takes part").isPositive();
        }
    }

    @Test
    void retryAfterStopsSubmitsFromEveryReplicaUntilThen() {
        TestDatabase database = Replicas.freshDatabase();
        List<ConfigurableApplicationContext> three = List.of(
                replicas.start(database, database, simulator.baseUrl(), "pause-a"),
                replicas.start(database, database, simulator.baseUrl(), "pause-b"),
                replicas.start(database, database, simulator.baseUrl(), "pause-c"));
        Duration retryAfter = Duration.ofSeconds(2); // TheRouter's "Retry-After: 30", time-scaled
        simulator.setOutage(SimulatorOutage.rateLimited(1, retryAfter));

        submit(three, "pause", 30);
        DatabaseClient db = three.get(0).getBean(DatabaseClient.class);
        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200))
                .until(() -> count(db, "select count(*) from jobs where status = 'SUCCEEDED'") == 30);

        assertThat(simulator.stats().outageAnswers()).isEqualTo(1);
        List<Instant> arrivals = simulator.submitArrivals().stream().sorted().toList();
        Instant refused = arrivals.get(0);
        // calls already on the wire when the 429 came back may land just after it; nothing else until the pause ends
        List<Instant> during = arrivals.stream()
                .filter(t -> t.isAfter(refused.plusMillis(250)) && t.isBefore(refused.plus(retryAfter).minusMillis(50)))
                .toList();
        assertThat(during).as("submits that arrived while TheRouter's pause lasted").isEmpty();
        assertThat(arrivals.get(arrivals.size() - 1)).isAfter(refused.plus(retryAfter).minusMillis(50));
        assertThat(simulator.stats().duplicateSubmits()).isZero();
        long byReplicas = three.stream().filter(r -> count(db, "select count(*) from jobs where submitted_by = '"
                + r.getEnvironment().getProperty("dispatch.worker-id") + "'") > 0).count();
        assertThat(byReplicas).as("replicas that submitted after the pause").isGreaterThan(1);
    }

    @Test
    void openBreakerHoldsJobsQueuedProbesSinglyAndRecovers() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext replica = replicas.start(database, database, simulator.baseUrl(), "breaker",
                "--resilience4j.circuitbreaker.instances.therouter.sliding-window-size=2",
                "--resilience4j.circuitbreaker.instances.therouter.minimum-number-of-calls=5",
                "--resilience4j.circuitbreaker.instances.therouter.wait-duration-in-open-state=500ms");
        CircuitBreaker breaker = replica.getBean(CircuitBreakerRegistry.class).circuitBreaker(UpstreamGate.BREAKER);
        WebClient client = Replicas.client(replica);
        simulator.setOutage(SimulatorOutage.unavailable(Duration.ofSeconds(4)));
        Instant outageStart = Instant.now();

        List<String> ids = submit(List.of(replica), "breaker", 20);
        await().atMost(Duration.ofSeconds(3)).until(() -> breaker.getState() == CircuitBreaker.State.OPEN);
        assertThat(Duration.between(outageStart, Instant.now())).as("time to open, within the 2 s window")
                .isLessThan(Duration.ofSeconds(3));

        // while it is open: the API accepts, readiness stays up, health shows the breaker
        String accepted = submit(List.of(replica), "breaker-late", 1).get(0);
        WebClient management = Replicas.managementClient(replica);
        Map<String, Object> readiness = management.get().uri("/actuator/health/readiness").retrieve().bodyToMono(JSON)
                .block(Duration.ofSeconds(5));
        assertThat(readiness).containsEntry("status", "UP");
        String health = management.get().uri("/actuator/health").retrieve().bodyToMono(String.class)
                .block(Duration.ofSeconds(5));
        assertThat(health).contains("circuitBreakers").contains("\"therouter\"").doesNotContain("diskSpace");
        DatabaseClient db = replica.getBean(DatabaseClient.class);
        assertThat(count(db, "select count(*) from jobs where status in ('QUEUED', 'SUBMITTING')"))
                .as("jobs waiting").isGreaterThan(0);

        // the call rate drops to the probes: one call per half-open spell (every 500 ms), not the herd of 21 jobs
        long before = simulator.stats().outageAnswers();
        Instant windowStart = Instant.now();
        await().pollDelay(Duration.ofSeconds(2)).atMost(Duration.ofSeconds(3)).until(() -> true);
        long during = simulator.stats().outageAnswers() - before;
        double seconds = Duration.between(windowStart, Instant.now()).toMillis() / 1000.0;
        System.out.printf("BREAKER open after outage start, %d upstream calls in %.2f s while open%n", during, seconds);
        assertThat(during).as("calls in %.1f s of outage with the breaker open", seconds)
                .isLessThanOrEqualTo((long) Math.ceil(seconds / 0.5) + 1);

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).until(() ->
                count(db, "select count(*) from jobs where status = 'SUCCEEDED'") == ids.size() + 1);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);
        assertThat(simulator.stats().submitsAccepted()).isEqualTo(ids.size() + 1);
        assertThat(simulator.stats().duplicateSubmits()).isZero();
        assertThat(accepted).isNotBlank();
    }

    @Test
    void ambiguousSubmitFailsByDefaultIsCountedAndNeverPaidTwice() {
        double countedBefore = ambiguousCount();
        String id = submit(List.of(), "ambiguous [sim:reset]", 1).get(0);

        await().atMost(Duration.ofSeconds(15)).until(() ->
                count("select count(*) from jobs where id = '" + id + "' and status = 'FAILED'") == 1);
        assertThat(db.sql("select error_code from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block()).isEqualTo("submit_outcome_unknown");
        assertThat(ambiguousCount() - countedBefore).isEqualTo(1.0);
        // the job exists upstream (and bills) exactly once: it was never sent again
        assertThat(simulator.stats().submitsAccepted()).isEqualTo(1);
        assertThat(simulator.stats().connectionResets()).isEqualTo(1);
        assertThat(count("select submit_attempts from jobs where id = '" + id + "'")).isEqualTo(1);
    }

    @Test
    void ambiguousSubmitIsSentAgainUnderTheRetryPolicyAndMayBePaidTwice() {
        TestDatabase database = Replicas.freshDatabase();
        ConfigurableApplicationContext replica = replicas.start(database, database, simulator.baseUrl(), "retry",
                "--dispatch.ambiguous-submit=retry");
        MeterRegistry replicaMeters = replica.getBean(MeterRegistry.class);
        // Every answer is broken off after its first bytes for a while: the submit reaches TheRouter (which creates
        // and bills the job) but its answer is lost. The resets end by themselves, so a later attempt gets through.
        simulator.setOutage(SimulatorOutage.resets(Duration.ofMillis(1500)));

        String id = submit(List.of(replica), "ambiguous-retry", 1).get(0);
        DatabaseClient replicaDb = replica.getBean(DatabaseClient.class);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() ->
                count(replicaDb, "select count(*) from jobs where id = '" + id + "' and status = 'SUCCEEDED'") == 1);

        long attempts = count(replicaDb, "select submit_attempts::bigint from jobs where id = '" + id + "'");
        var counter = replicaMeters.find("imageedit.upstream.submits.ambiguous").tags("policy", "retry", "cause",
                "answer_lost").counter();
        assertThat(counter).isNotNull();
        assertThat(counter.count()).as("ambiguous submits counted under the retry policy").isEqualTo(attempts - 1);
        assertThat(attempts).as("submit attempts: the lost answers, then the one that came back").isGreaterThan(1);
        // the price of the policy, stated rather than hidden: every attempt created a job upstream
        assertThat(simulator.stats().submitsAccepted()).isEqualTo(attempts);
        assertThat(simulator.stats().duplicateSubmits()).isEqualTo(attempts - 1);
    }

    private double ambiguousCount() {
        var counter = meters.find("imageedit.upstream.submits.ambiguous").tags("policy", "fail", "cause", "answer_lost")
                .counter();
        return counter == null ? 0 : counter.count();
    }

    /** Submits {@code n} jobs spread over the replicas (the shared context when none is given); answers their ids. */
    private List<String> submit(List<ConfigurableApplicationContext> to, String prefix, int n) {
        List<WebClient> clients = to.isEmpty() ? List.of(webClient())
                : to.stream().map(c -> Replicas.client(c)).toList();
        String run = prefix + "-" + System.nanoTime();
        return Flux.range(0, n)
                .flatMap(i -> clients.get(i % clients.size()).post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple(run + " job " + i + " " + prefix,
                                image)))
                        .retrieve().bodyToMono(JSON)
                        .map(job -> (String) job.get("id")), 32)
                .collectList()
                .block(Duration.ofMinutes(2));
    }

    private static long count(DatabaseClient db, String sql) {
        return db.sql(sql).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }
}
