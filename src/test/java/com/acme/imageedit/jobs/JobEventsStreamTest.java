package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.http.codec.ServerSentEvent;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/** GET /v1/jobs/{id}/events: the job's states as Server-Sent Events, resumable, ending with the terminal state. */
class JobEventsStreamTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final ParameterizedTypeReference<ServerSentEvent<Map<String, Object>>> EVENT =
            new ParameterizedTypeReference<>() {
            };

    @Test
    void aClientSeesQueuedInProgressSucceededAndTheStreamEnds() {
        String id = submit(TEAM_A_KEY, "streamed");

        List<ServerSentEvent<Map<String, Object>>> events = stream(TEAM_A_KEY, id, null)
                .filter(event -> event.event() != null)
                .collectList().block(Duration.ofSeconds(30));

        assertThat(events).extracting(ServerSentEvent::event).containsOnly("status");
        assertThat(events).extracting(ServerSentEvent::id).containsExactly("1", "2", "3");
        assertThat(events).extracting(event -> event.data().get("type"))
                .containsExactly("job.queued", "job.in_progress", "job.succeeded");
        @SuppressWarnings("unchecked")
        Map<String, Object> last = (Map<String, Object>) events.get(2).data().get("data");
        assertThat(last).containsEntry("id", id).containsEntry("status", "succeeded").containsKey("unsigned_urls");
    }

    @Test
    void reconnectingWithLastEventIdResumesWithoutRepeats() {
        String id = submit(TEAM_A_KEY, "streamed twice");
        StepVerifier.create(stream(TEAM_A_KEY, id, null).filter(event -> event.event() != null).take(1))
                .assertNext(event -> assertThat(event.id()).isEqualTo("1"))
                .verifyComplete();

        List<ServerSentEvent<Map<String, Object>>> resumed = stream(TEAM_A_KEY, id, "1")
                .filter(event -> event.event() != null)
                .collectList().block(Duration.ofSeconds(30));
        assertThat(resumed).extracting(ServerSentEvent::id).containsExactly("2", "3");

        StepVerifier.create(stream(TEAM_A_KEY, id, "3")).expectComplete().verify(Duration.ofSeconds(10));
    }

    @Test
    void anIdleStreamGetsKeepAlivesAndEndsWhenTheJobIsCancelledElsewhere() {
        String id = submit(CancelTest.HELD_KEY, "streamed while held");
        StepVerifier.create(stream(CancelTest.HELD_KEY, id, null))
                .assertNext(event -> assertThat(event.data().get("type")).isEqualTo("job.queued"))
                .assertNext(event -> assertThat(event.comment()).isEqualTo("keep-alive"))
                // Another replica cancels it: only NOTIFY tells this one.
                .then(() -> db.sql("update jobs set status = 'CANCELLED', finished_at = now(), version = version + 1 "
                        + "where id = :id").bind("id", id).fetch().rowsUpdated().block())
                .thenConsumeWhile(event -> event.event() == null)
                .assertNext(event -> {
                    assertThat(event.id()).isEqualTo("3");
                    assertThat(event.data().get("type")).isEqualTo("job.cancelled");
                })
                .expectComplete()
                .verify(Duration.ofSeconds(20));
    }

    @Test
    void anotherTeamsJobHasNoStream() {
        String id = submit(TEAM_A_KEY, "not for team B");
        http(TEAM_B_KEY).get().uri("/v1/jobs/{id}/events", id).accept(MediaType.TEXT_EVENT_STREAM).exchange()
                .expectStatus().isNotFound()
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON);
    }

    private Flux<ServerSentEvent<Map<String, Object>>> stream(String key, String id, String lastEventId) {
        return webClient(key).get().uri("/v1/jobs/{id}/events", id)
                .accept(MediaType.TEXT_EVENT_STREAM)
                .headers(h -> {
                    if (lastEventId != null) {
                        h.set("Last-Event-ID", lastEventId);
                    }
                })
                .retrieve().bodyToFlux(EVENT);
    }

    private String submit(String key, String prompt) {
        return (String) http(key).post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple(prompt, TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
    }
}
