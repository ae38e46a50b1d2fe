package com.acme.imageedit.dispatch;

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

/**
 * Submits reach a TheRouter behind a gateway that refuses chunked request bodies with 411 (the tests' simulator is
 * one): the multipart edit and the JSON generation both go out with a {@code Content-Length}.
 */
class SubmitBodiesTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void editsAndGenerationsAreAcceptedByAnUpstreamThatRefusesChunkedBodies() {
        assertThat(simulator.refusesChunkedRequests()).as("the tests' simulator answers chunked bodies 411").isTrue();
        long refusedBefore = simulator.stats().lengthRequired();
        long acceptedBefore = simulator.stats().submitsAccepted();

        String edit = (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple("edit with a length", TestImages.png(300, 300))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
        String generation = (String) http().post().uri("/v1/images/generations?async=true")
                .contentType(MediaType.APPLICATION_JSON)
                .bodyValue(Map.of("prompt", "a generation with a length"))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");

        await().atMost(Duration.ofSeconds(20)).until(() -> count("select count(*) from jobs where status = 'SUCCEEDED'"
                + " and id in ('" + edit + "', '" + generation + "')") == 2);
        assertThat(simulator.stats().lengthRequired() - refusedBefore).as("submits refused for a chunked body")
                .isZero();
        assertThat(simulator.stats().submitsAccepted() - acceptedBefore).isGreaterThanOrEqualTo(2);
    }
}
