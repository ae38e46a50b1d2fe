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
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * What the service serves of a result is what it checked: the team's {@code /content} and the anonymous signed link
 * answer the proven image type with {@code nosniff} and {@code Content-Security-Policy: sandbox}; a stored row of any
 * other type (from before results were judged by their bytes) goes out as an {@code application/octet-stream}
 * attachment, never as the type it was labelled.
 */
@SuppressWarnings("unchecked")
class ServedContentTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void resultsAreServedSandboxedAsTheirProvenTypeAndAnythingElseAsAnAttachment() {
        Map<String, Object> accepted = http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("served", TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody();
        String id = (String) accepted.get("id");
        await().atMost(Duration.ofSeconds(30)).until(() -> "succeeded".equals(job(id).get("status")));
        String link = ((List<String>) job(id).get("unsigned_urls")).get(0);

        for (WebTestClient.RequestHeadersSpec<?> request : List.of(http().get().uri("/v1/jobs/" + id + "/content"),
                http(null).get().uri(link))) {
            request.exchange().expectStatus().isOk()
                    .expectHeader().contentType(MediaType.IMAGE_PNG)
                    .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                    .expectHeader().valueEquals("Content-Security-Policy", "sandbox")
                    .expectHeader().doesNotExist("Content-Disposition");
        }

        // a row stored with a label before results were judged by their bytes
        db.sql("update job_images set content_type = 'text/html' where job_id = :id and role = 'RESULT'")
                .bind("id", id).then().block(Duration.ofSeconds(5));
        for (WebTestClient.RequestHeadersSpec<?> request : List.of(http().get().uri("/v1/jobs/" + id + "/content"),
                http(null).get().uri(link))) {
            request.exchange().expectStatus().isOk()
                    .expectHeader().contentType(MediaType.APPLICATION_OCTET_STREAM)
                    .expectHeader().valueEquals("X-Content-Type-Options", "nosniff")
                    .expectHeader().valueEquals("Content-Security-Policy", "sandbox")
                    .expectHeader().value("Content-Disposition", d -> assertThat(d).startsWith("attachment"));
        }
    }

    private Map<String, Object> job(String id) {
        return http().get().uri("/v1/jobs/" + id).exchange().expectBody(JSON).returnResult().getResponseBody();
    }
}
