package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import tools.jackson.databind.JsonNode;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Deliveries end to end, against real HTTP receivers on random ports: signed per Standard Webhooks (checked by the
 * test's own verifier), retried with the same webhook-id, Retry-After honoured, 410 disabling a subscription, secrets
 * rotated with an overlap, and redelivery by hand.
 */
class WebhookDeliveryTest extends WebhookTestSupport {

    private final TestReceiver callbacks = TestReceiver.start();
    private final TestReceiver subscriber = TestReceiver.start();

    @AfterEach
    void stopReceivers() {
        callbacks.close();
        subscriber.close();
    }

    @Test
    void aCallbackAndASubscriptionEachGetOneSignedDeliveryPerTerminalEvent() {
        Map<String, Object> subscription = subscribe(subscriber.url("/team-hooks"), null);
        assertThat(subscription.get("events")).asList()
                .containsExactly("job.succeeded", "job.failed", "job.cancelled", "job.expired");
        String subscriptionSecret = (String) subscription.get("secret");
        String callbackSecret = defaultSecret();
        assertThat(subscriptionSecret).startsWith("whsec_");
        assertThat(callbackSecret).startsWith("whsec_").isNotEqualTo(subscriptionSecret);

        String succeeded = submit("webhooks: a watercolor", callbacks.url("/job-done?source=test"));
        String failed = submit("webhooks: this one fails [sim:fail]", callbacks.url("/job-done?source=test"));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            for (String job : List.of(succeeded, failed)) {
                assertThat(deliveriesOf(job)).hasSize(2).allSatisfy(d -> assertThat(d.get("status"))
                        .isEqualTo("delivered"));
            }
        });

        for (String job : List.of(succeeded, failed)) {
            String type = job.equals(succeeded) ? "job.succeeded" : "job.failed";
            TestReceiver.Received callback = single(callbacks.forJob(job));
            TestReceiver.Received team = single(subscriber.forJob(job));
            assertThat(callback.uri()).isEqualTo("/job-done?source=test");
            assertThat(team.uri()).isEqualTo("/team-hooks");
            assertThat(ReceiverVerifier.verify(callbackSecret, callback)).as("callback signature").isTrue();
            assertThat(ReceiverVerifier.verify(subscriptionSecret, team)).as("subscription signature").isTrue();
            assertThat(ReceiverVerifier.verify(subscriptionSecret, callback)).as("signed with the team secret only")
                    .isFalse();
            assertThat(callback.header("webhook-id")).startsWith("msg_").isNotEqualTo(team.header("webhook-id"));
            // W3C trace context reaches receivers, so a delivery can be followed into the team's own traces.
            assertThat(callback.header("traceparent")).matches("00-[0-9a-f]{32}-[0-9a-f]{16}-0[0-9a-f]");
            assertThat(callback.header("content-type")).startsWith("application/json");
            assertThat(deliveriesOf(job)).extracting(d -> d.get("id"))
                    .containsExactlyInAnyOrder(callback.header("webhook-id"), team.header("webhook-id"));
            for (TestReceiver.Received request : List.of(callback, team)) {
                JsonNode envelope = request.json();
                assertThat(envelope.path("type").asString()).isEqualTo(type);
                assertThat(Instant.parse(envelope.path("timestamp").asString()))
                        .isBetween(Instant.now().minusSeconds(60), Instant.now());
                JsonNode data = envelope.path("data");
                assertThat(data.path("id").asString()).isEqualTo(job);
                assertThat(data.path("object").asString()).isEqualTo("image_job");
                assertThat(request.body()).doesNotContain("b64_json").hasSizeLessThan(4096);
            }
            JsonNode data = callback.json().path("data");
            if (job.equals(succeeded)) {
                assertThat(data.path("status").asString()).isEqualTo("succeeded");
                // The signed result link, which works without a team key.
                assertThat(data.path("unsigned_urls").get(0).asString())
                        .startsWith(baseUrl() + "/files/results/" + job + "?expires=").contains("&signature=");
            } else {
                assertThat(data.path("status").asString()).isEqualTo("failed");
                assertThat(data.path("error").path("code").asString()).isEqualTo("upstream_failed");
            }
        }
    }

    @Test
    void aSubscriptionThatAsksForInProgressHearsItBeforeTheOutcome() {
        subscribe(subscriber.url("/progress"), List.of("job.in_progress", "job.succeeded"));

        String job = submit("webhooks: progress", null);

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(subscriber.forJob(job)).hasSize(2));
        assertThat(subscriber.forJob(job)).extracting(r -> r.json().path("type").asString())
                .containsExactly("job.in_progress", "job.succeeded");
        assertThat(callbacks.all()).isEmpty();
    }

    @Test
    void aReceiverThatFailsTwiceGetsTheSameMessageAgainUntilItAnswers2xx() {
        callbacks.thenAnswer(TestReceiver.Reply.status(500), TestReceiver.Reply.status(500));
        String secret = defaultSecret();

        String job = submit("webhooks: retried", callbacks.url("/flaky"));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(deliveriesOf(job)).singleElement()
                        .satisfies(d -> assertThat(d.get("status")).isEqualTo("delivered")));
        List<TestReceiver.Received> requests = callbacks.forJob(job);
        assertThat(requests).hasSize(3);
        assertThat(requests).extracting(r -> r.header("webhook-id")).containsOnly(requests.get(0).header("webhook-id"));
        assertThat(requests).extracting(TestReceiver.Received::body).containsOnly(requests.get(0).body());
        assertThat(requests).allSatisfy(r -> assertThat(ReceiverVerifier.verify(secret, r)).isTrue());

        Map<String, Object> delivery = deliveriesOf(job).get(0);
        assertThat(delivery.get("id")).isEqualTo(requests.get(0).header("webhook-id"));
        assertThat(delivery.get("attempt_count")).isEqualTo(3);
        assertThat(delivery.get("last_status_code")).isEqualTo(200);
        assertThat(attempts(delivery)).extracting(a -> a.get("status_code")).containsExactly(500, 500, 200);
        assertThat(attempts(delivery)).allSatisfy(a -> assertThat(a).containsKeys("latency_ms", "started_at"));
        assertThat(attempts(delivery).get(0).get("error")).isEqualTo("HTTP 500");

        // Manual redelivery: the same message (id and body) once more, logged as a fourth attempt.
        http().post().uri("/v1/webhooks/deliveries/{id}/redeliver", delivery.get("id"))
                .exchange().expectStatus().isAccepted();
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(callbacks.forJob(job)).hasSize(4));
        assertThat(callbacks.forJob(job).get(3).header("webhook-id")).isEqualTo(delivery.get("id"));
        assertThat(callbacks.forJob(job).get(3).body()).isEqualTo(requests.get(0).body());
        await().atMost(Duration.ofSeconds(10)).untilAsserted(() -> assertThat(deliveriesOf(job).get(0))
                .containsEntry("status", "delivered").containsEntry("attempt_count", 4));
    }

    @Test
    void aReceiverThatNeverSucceedsIsGivenUpAfterTheLastScheduledAttempt() {
        callbacks.always(TestReceiver.Reply.status(503));

        String job = submit("webhooks: never answered", callbacks.url("/down"));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(deliveriesOf(job)).singleElement()
                        .satisfies(d -> assertThat(d.get("status")).isEqualTo("failed")));
        // The test schedule has eight entries: eight attempts, then nothing more.
        assertThat(callbacks.forJob(job)).hasSize(8);
        assertThat(deliveriesOf(job).get(0)).containsEntry("attempt_count", 8).containsEntry("last_status_code", 503)
                .doesNotContainKey("next_attempt_at");
    }

    @Test
    void aSlowReceiverNeverHasMoreThanThePerHostLimitInFlight() {
        callbacks.always(TestReceiver.Reply.slow(200, Duration.ofMillis(800)));
        List<String> jobs = new java.util.ArrayList<>();
        for (int i = 0; i < 12; i++) {
            jobs.add(submit("webhooks: per host " + i, callbacks.url("/slow")));
        }

        await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(200)).untilAsserted(() -> {
            for (String job : jobs) {
                assertThat(deliveriesOf(job)).singleElement()
                        .satisfies(d -> assertThat(d.get("status")).isEqualTo("delivered"));
            }
        });
        // webhooks.per-host-concurrency is 4: twelve deliveries that each hold the receiver for 0.8 s queue behind it.
        assertThat(callbacks.maxInFlight()).isBetween(1, 4);
        assertThat(jobs).allSatisfy(job -> assertThat(callbacks.forJob(job)).hasSize(1));
    }

    @Test
    void retryAfterIsHonouredOverTheShorterSchedule() {
        callbacks.thenAnswer(TestReceiver.Reply.status(503, "Retry-After", "2"));

        String job = submit("webhooks: retry after", callbacks.url("/busy"));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(callbacks.forJob(job)).hasSize(2));
        List<TestReceiver.Received> requests = callbacks.forJob(job);
        // The schedule would retry after about 200 ms; the receiver asked for 2 s.
        assertThat(Duration.between(requests.get(0).at(), requests.get(1).at()))
                .isGreaterThanOrEqualTo(Duration.ofSeconds(2));
    }

    @Test
    void a410DisablesTheSubscriptionAndStopsItsDeliveries() {
        subscriber.always(TestReceiver.Reply.status(410));
        Map<String, Object> subscription = subscribe(subscriber.url("/gone"), null);
        String id = (String) subscription.get("id");

        String first = submit("webhooks: gone 1", null);
        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100))
                .untilAsserted(() -> assertThat(deliveriesOf(first)).singleElement()
                        .satisfies(d -> assertThat(d.get("status")).isEqualTo("failed")));
        assertThat(deliveriesOf(first).get(0)).containsEntry("attempt_count", 1).containsEntry("last_status_code", 410);
        Map<String, Object> disabled = http().get().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody();
        assertThat(disabled).containsEntry("enabled", false);
        assertThat((String) disabled.get("disabled_reason")).contains("410");

        String second = submit("webhooks: gone 2", null);
        awaitStatus(second, "SUCCEEDED");
        assertThat(deliveriesOf(second)).isEmpty();
        assertThat(subscriber.forJob(second)).isEmpty();

        // Enabled again by its team, it hears the next job.
        subscriber.always(TestReceiver.Reply.status(204));
        http().patch().uri("/v1/webhooks/{id}", id).bodyValue(Map.of("enabled", true)).exchange().expectStatus().isOk()
                .expectBody(JSON).value(s -> assertThat(s).containsEntry("enabled", true)
                        .doesNotContainKey("disabled_reason"));
        String third = submit("webhooks: back", null);
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(subscriber.forJob(third)).hasSize(1));
    }

    @Test
    void duringARotationAReceiverHoldingEitherSecretVerifiesTheDelivery() {
        Map<String, Object> subscription = subscribe(subscriber.url("/rotating"), null);
        String oldSubscriptionSecret = (String) subscription.get("secret");
        String newSubscriptionSecret = (String) http().post().uri("/v1/webhooks/{id}/secret/rotate",
                        subscription.get("id")).exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody().get("key");
        String oldDefault = defaultSecret();
        Map<String, Object> rotated = http().post().uri("/v1/webhooks/default/secret/rotate").exchange()
                .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody();
        String newDefault = (String) rotated.get("key");
        assertThat(rotated).containsKey("previous_key_expires_at");
        assertThat(newSubscriptionSecret).isNotEqualTo(oldSubscriptionSecret);
        assertThat(newDefault).isNotEqualTo(oldDefault).isEqualTo(defaultSecret());

        String job = submit("webhooks: rotation", callbacks.url("/rotating"));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() -> {
            assertThat(callbacks.forJob(job)).hasSize(1);
            assertThat(subscriber.forJob(job)).hasSize(1);
        });
        TestReceiver.Received team = subscriber.forJob(job).get(0);
        TestReceiver.Received callback = callbacks.forJob(job).get(0);
        assertThat(team.header("webhook-signature").split(" ")).hasSize(2);
        assertThat(ReceiverVerifier.verify(oldSubscriptionSecret, team)).isTrue();
        assertThat(ReceiverVerifier.verify(newSubscriptionSecret, team)).isTrue();
        assertThat(ReceiverVerifier.verify(oldDefault, callback)).isTrue();
        assertThat(ReceiverVerifier.verify(newDefault, callback)).isTrue();
        assertThat(ReceiverVerifier.verify(StandardWebhooks.newSecret(), callback)).isFalse();
    }

    @SuppressWarnings("unchecked")
    private static List<Map<String, Object>> attempts(Map<String, Object> delivery) {
        return (List<Map<String, Object>>) delivery.get("attempts");
    }

    private static TestReceiver.Received single(List<TestReceiver.Received> requests) {
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }
}
