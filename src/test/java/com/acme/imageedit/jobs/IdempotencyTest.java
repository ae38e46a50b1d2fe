package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.UUID;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;

/** Idempotency-Key: one job per key and request, whoever sends it how often and how concurrently. */
class IdempotencyTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Autowired
    IdempotencyKeyJanitor janitor;

    private record Answer(int status, String body, String replayed) {
    }

    @Test
    void twentyConcurrentSubmitsWithOneKeyMakeOneJobAndIdenticalAnswers() {
        String key = UUID.randomUUID().toString();
        byte[] png = TestImages.png(256, 256);

        List<Answer> answers = Flux.range(0, 20)
                .flatMap(i -> webClient().post().uri("/v1/images/edits?async=true")
                        .header("Idempotency-Key", key)
                        .body(BodyInserters.fromMultipartData(EditForms.simple("only once", png)))
                        .exchangeToMono(r -> r.bodyToMono(String.class).map(body -> new Answer(r.statusCode().value(),
                                body, r.headers().asHttpHeaders().getFirst("Idempotent-Replayed")))), 20)
                .collectList().block(Duration.ofSeconds(30));

        assertThat(answers).extracting(Answer::status).containsOnly(202);
        assertThat(answers).extracting(Answer::body).containsOnly(answers.get(0).body());
        assertThat(answers).filteredOn(a -> a.replayed() == null).hasSize(1);
        assertThat(count("select count(*) from jobs where prompt = 'only once' and team_id = 'demo-a'"))
                .isEqualTo(1);
        assertThat(count("select count(*) from idempotency_keys where key = '" + key + "'")).isEqualTo(1);
    }

    @Test
    void theSameKeyWithAnotherRequestIs422AndStoresNothing() {
        String key = UUID.randomUUID().toString();
        http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("first request", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted();

        http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("second request", TestImages.png(256, 256))))
                .exchange().expectStatus().isEqualTo(422)
                .expectHeader().contentType(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody().jsonPath("$.error.code").isEqualTo("idempotency_key_reused")
                .jsonPath("$.field").isEqualTo("Idempotency-Key");
        assertThat(count("select count(*) from jobs where prompt = 'second request'")).isZero();
    }

    @Test
    void theSameRequestAsJsonIsTheSameRequestAndKeysAreScopedByTeam() {
        String key = UUID.randomUUID().toString();
        byte[] png = TestImages.png(256, 256);
        Map<String, Object> first = http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("multipart or json", png)))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        Map<String, Object> again = http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("prompt", "multipart or json", "model", "qwen/qwen-image-edit",
                        "image", "data:image/png;base64," + java.util.Base64.getEncoder().encodeToString(png)))
                .exchange().expectStatus().isAccepted()
                .expectHeader().valueEquals("Idempotent-Replayed", "true")
                .expectBody(JSON).returnResult().getResponseBody();
        assertThat(again).isEqualTo(first);

        Map<String, Object> otherTeam = http(TEAM_B_KEY).post().uri("/v1/images/edits?async=true")
                .header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("multipart or json", png)))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        assertThat(otherTeam.get("id")).isNotEqualTo(first.get("id"));
    }

    @Test
    void aKeyOlderThanItsTtlNamesNothingAnyMoreAndIsPurged() {
        String key = UUID.randomUUID().toString();
        http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("yesterday's request", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted();
        db.sql("update idempotency_keys set created_at = now() - interval '25 hours' where key = :key")
                .bind("key", key).fetch().rowsUpdated().block();

        Map<String, Object> fresh = http().post().uri("/v1/images/edits?async=true").header("Idempotency-Key", key)
                .body(BodyInserters.fromMultipartData(EditForms.simple("today's request", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted()
                .expectHeader().doesNotExist("Idempotent-Replayed")
                .expectBody(JSON).returnResult().getResponseBody();
        assertThat(count("select count(*) from idempotency_keys where key = '" + key + "' and job_id = '"
                + fresh.get("id") + "'")).isEqualTo(1);

        db.sql("update idempotency_keys set created_at = now() - interval '25 hours' where key = :key")
                .bind("key", key).fetch().rowsUpdated().block();
        assertThat(janitor.purgeExpired().block()).isPositive();
        assertThat(count("select count(*) from idempotency_keys where key = '" + key + "'")).isZero();
        assertThat(count("select count(*) from jobs where id = '" + fresh.get("id") + "'")).isEqualTo(1);
    }
}
