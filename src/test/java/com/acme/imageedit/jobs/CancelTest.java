package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** Cancel in each state: queued (refunded, never submitted afterwards), running (charged, no longer polled), ended. */
class CancelTest extends IntegrationTest {

    static final String HELD_KEY = "held-key";
    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void aQueuedJobIsCancelledAtOnceRefundedAndNeverSubmittedAfterwards() {
        String id = submit(HELD_KEY, "held, then cancelled");
        assertThat(status(id)).isEqualTo("QUEUED");

        Map<String, Object> cancelled = http(HELD_KEY).post().uri("/v1/jobs/{id}/cancel", id).exchange()
                .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
        assertThat(cancelled).containsEntry("status", "cancelled").containsEntry("cost_usd", 0);
        assertThat(cancelled.get("error")).asInstanceOf(org.assertj.core.api.InstanceOfAssertFactories.MAP)
                .containsEntry("code", "cancelled_by_client");
        assertThat(count("select count(*) from spend_ledger where charged_usd = 0 and outcome = 'CANCELLED' "
                + "and job_id = '" + id + "'")).isEqualTo(1);

        // Let the held team's jobs go: a job submitted now runs, the cancelled one must not.
        db.sql("update teams set max_in_flight = null where id = 'held'").fetch().rowsUpdated().block();
        try {
            String later = submit(HELD_KEY, "submitted after the cancel");
            await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(status(later)));
        } finally {
            db.sql("update teams set max_in_flight = 0 where id = 'held'").fetch().rowsUpdated().block();
        }
        assertThat(count("select count(*) from jobs where status = 'CANCELLED' and submit_attempts = 0 "
                + "and upstream_id is null and submit_sent_at is null and id = '" + id + "'")).isEqualTo(1);
    }

    @Test
    void aRunningJobEndsCancelledIsChargedAndIsNoLongerPolled() {
        String id = submit(TEAM_A_KEY, "runs forever [sim:slow]");
        await().atMost(Duration.ofSeconds(20)).until(() -> "RUNNING".equals(status(id)));

        http().post().uri("/v1/jobs/{id}/cancel", id).exchange()
                .expectStatus().isOk()
                .expectBody().jsonPath("$.status").isEqualTo("cancelled").jsonPath("$.cost_usd").isEqualTo(0.048);

        long polls = count("select poll_count from jobs where id = '" + id + "'");
        // Several poll intervals (100 ms in tests) pass; a poller still holding it would count them.
        await().pollDelay(Duration.ofMillis(800)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(count("select poll_count from jobs where id = '" + id + "'")).isEqualTo(polls);
        assertThat(status(id)).isEqualTo("CANCELLED");
    }

    @Test
    void anEndedJobCannotBeCancelledAndAnotherTeamsJobDoesNotExist() {
        String id = submit(TEAM_A_KEY, "finishes quickly");
        await().atMost(Duration.ofSeconds(20)).until(() -> "SUCCEEDED".equals(status(id)));

        http().post().uri("/v1/jobs/{id}/cancel", id).exchange()
                .expectStatus().isEqualTo(409)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("job_not_cancellable")
                .jsonPath("$.job_status").isEqualTo("succeeded");

        String queued = submit(HELD_KEY, "someone else's");
        http(TEAM_B_KEY).post().uri("/v1/jobs/{id}/cancel", queued).exchange().expectStatus().isNotFound();
        http().post().uri("/v1/jobs/img_bbbbbbbbbbbbbbbbbbbbbbbbbb/cancel").exchange().expectStatus().isNotFound();
        assertThat(status(queued)).isEqualTo("QUEUED");
        http(HELD_KEY).post().uri("/v1/jobs/{id}/cancel", queued).exchange().expectStatus().isOk();
    }

    private String submit(String key, String prompt) {
        return (String) http(key).post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple(prompt, TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
    }

    private String status(String id) {
        return db.sql("select status from jobs where id = :id").bind("id", id)
                .map((row, meta) -> row.get(0, String.class)).one().block();
    }
}
