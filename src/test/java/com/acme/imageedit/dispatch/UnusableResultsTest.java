package com.acme.imageedit.dispatch;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.simulator.PollArrival;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * TheRouter reports the job succeeded, but its result link answers 200 with an SVG, an HTML page or nothing at all. The
 * job is not polled (and its result downloaded) at every poll until its deadline: it is tried again after 200, 400 and
 * 800 ms (the tests' {@code dispatch.result-retry}) and fails {@code upstream_result_unusable} after the fourth try,
 * charged, because TheRouter billed it.
 */
class UnusableResultsTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final int TRIES = 4;
    private static final long[] PAUSES_MS = {200, 400, 800};

    @ParameterizedTest(name = "result {0}")
    @ValueSource(strings = {"[sim:svg]", "[sim:html]", "[sim:empty]"})
    void aResultThatIsNoImageIsTriedAFewTimesWithGrowingPausesThenFailsCharged(String trigger) {
        String prompt = "unusable result " + trigger + " " + System.nanoTime();
        String id = (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple(prompt, TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .until(() -> !"in_progress".equals(job(id).get("status")) && !"queued".equals(job(id).get("status")));
        Map<String, Object> job = job(id);
        assertThat(job).containsEntry("status", "failed").containsEntry("cost_usd", 0.048);
        @SuppressWarnings("unchecked")
        Map<String, Object> error = (Map<String, Object>) job.get("error");
        assertThat(error).containsEntry("code", "upstream_result_unusable").containsEntry("type", "upstream_error");
        assertThat((String) error.get("message")).contains("succeeded and billed it").contains("after 4 tries")
                .contains("no image").contains("the job is charged");
        assertThat(db.sql("select charged_usd from spend_ledger where job_id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, BigDecimal.class)).one().block(Duration.ofSeconds(5)))
                .as("charged in the ledger, not refunded").isEqualByComparingTo("0.048");

        // Every try is a poll that sees "succeeded" and a download: exactly TRIES of them, the pauses growing.
        assertThat(count("select result_attempts + 1 from jobs where id = '" + id + "'")).isEqualTo(TRIES);
        String upstreamId = db.sql("select upstream_id from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
        Instant completed = simulator.completedAt(upstreamId).orElseThrow();
        List<Instant> tries = simulator.pollArrivals().stream().filter(p -> p.upstreamId().equals(upstreamId))
                .map(PollArrival::at).filter(at -> !at.isBefore(completed.minusMillis(5))).sorted().toList();
        assertThat(tries).as("polls of the job once TheRouter reported it succeeded").hasSize(TRIES);
        for (int i = 1; i < tries.size(); i++) {
            assertThat(Duration.between(tries.get(i - 1), tries.get(i)).toMillis())
                    .as("pause before try %d", i + 1).isGreaterThanOrEqualTo(PAUSES_MS[i - 1] - 5);
        }
    }

    private Map<String, Object> job(String id) {
        return http().get().uri("/v1/jobs/{id}", id).exchange().expectStatus().isOk().expectBody(JSON)
                .returnResult().getResponseBody();
    }
}
