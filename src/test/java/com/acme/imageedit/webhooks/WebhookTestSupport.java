package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.AfterEach;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.client.MultipartBodyBuilder;
import org.springframework.web.reactive.function.BodyInserters;

import static org.awaitility.Awaitility.await;

/** Submits, subscriptions and the delivery log through the API, for the webhook tests. */
abstract class WebhookTestSupport extends IntegrationTest {

    static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    /** Subscriptions are per team: one left behind would receive the next test class's jobs. */
    @AfterEach
    void deleteSubscriptions() {
        db.sql("delete from webhook_subscriptions").then().block(Duration.ofSeconds(10));
    }

    String submit(String prompt, String callbackUrl) {
        MultipartBodyBuilder form = EditForms.edit(prompt, TestImages.png(256, 256));
        if (callbackUrl != null) {
            form.part("callback_url", callbackUrl);
        }
        return (String) http().post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isAccepted()
                .expectBody(JSON).returnResult().getResponseBody().get("id");
    }

    Map<String, Object> subscribe(String url, List<String> events) {
        Map<String, Object> body = events == null ? Map.of("url", url) : Map.of("url", url, "events", events);
        return http().post().uri("/v1/webhooks").bodyValue(body)
                .exchange().expectStatus().isCreated()
                .expectBody(JSON).returnResult().getResponseBody();
    }

    String defaultSecret() {
        return (String) http().get().uri("/v1/webhooks/default/secret").exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody().get("key");
    }

    @SuppressWarnings("unchecked")
    List<Map<String, Object>> deliveriesOf(String jobId) {
        return (List<Map<String, Object>>) http().get().uri("/v1/webhooks/deliveries?job_id=" + jobId)
                .exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody().get("data");
    }

    void awaitStatus(String jobId, String status) {
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).until(() -> count(
                "select count(*) from jobs where status = '" + status + "' and id = '" + jobId + "'") == 1);
    }
}
