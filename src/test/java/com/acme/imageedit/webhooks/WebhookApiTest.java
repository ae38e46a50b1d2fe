package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.List;
import java.util.Map;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.springframework.http.MediaType;
import org.springframework.web.reactive.function.BodyInserters;

import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.springframework.http.client.MultipartBodyBuilder;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * The webhook API's edges: the SSRF guard at submit, subscribe and send time, bad subscription bodies, team isolation,
 * and the meters. (The test profile allows loopback receivers, so 127.0.0.1 itself is refused only in
 * {@link WebhookUrlGuardTest}, under the production defaults.)
 */
class WebhookApiTest extends WebhookTestSupport {

    @ParameterizedTest
    @ValueSource(strings = {"http://169.254.169.254/latest/meta-data/iam/", "http://10.0.0.1/hook",
            "ftp://example.com/hook", "http://192.168.1.20/hook", "http://172.16.0.1/", "http://[fd00::1]/",
            "http://169.254.10.10/", "http://[::ffff:169.254.169.254]/", "http://user:secret@example.com/",
            "not a url", "http://no-such-host.invalid/hook"})
    void refusedReceiversAreBadRequestsAtSubmitAndSubscribeAndNothingIsStored(String url) {
        String prompt = "refused callback " + System.nanoTime();
        MultipartBodyBuilder form = EditForms.edit(prompt, TestImages.png(256, 256));
        form.part("callback_url", url);
        http().post().uri("/v1/images/edits?async=true").body(BodyInserters.fromMultipartData(form.build()))
                .exchange().expectStatus().isBadRequest()
                .expectHeader().contentTypeCompatibleWith(MediaType.APPLICATION_PROBLEM_JSON)
                .expectBody(JSON).value(problem -> assertThat(problem).containsEntry("field", "callback_url"));
        assertThat(count("select count(*) from jobs where prompt = '" + prompt + "'")).isZero();

        http().post().uri("/v1/webhooks").bodyValue(Map.of("url", url))
                .exchange().expectStatus().isBadRequest()
                .expectBody(JSON).value(problem -> assertThat(problem).containsEntry("field", "url"));
        assertThat(count("select count(*) from webhook_subscriptions")).isZero();
    }

    @Test
    void aReceiverAddressThatBecameInternalAfterTheCheckIsRefusedAtSendTime() {
        String job = submit("webhooks: rebinding", null);
        awaitStatus(job, "SUCCEEDED");
        // As if the callback's DNS name had answered with a public address at submit and now answers 10.0.0.1.
        db.sql("""
                        insert into webhook_deliveries (id, team_id, job_id, event_type, target, url, host)
                        values ('msg_rebinding', 'demo-a', :job, 'job.succeeded', 'CALLBACK', 'http://10.0.0.1/hook',
                                '10.0.0.1')""")
                .bind("job", job).then().block(Duration.ofSeconds(5));

        await().atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(100)).untilAsserted(() ->
                assertThat(deliveriesOf(job)).singleElement().satisfies(d -> {
                    assertThat(d.get("status")).isEqualTo("failed");
                    assertThat(d.get("attempt_count")).isEqualTo(8);
                    assertThat((String) d.get("last_error")).contains("SSRF").contains("10.0.0.1");
                    assertThat(d).doesNotContainKey("last_status_code");
                }));
        // Every attempt was refused before connecting: no status code was ever recorded.
        assertThat(count("select count(*) from webhook_attempts where delivery_id = 'msg_rebinding' "
                + "and status_code is null and error like 'refused by the SSRF guard%'")).isEqualTo(8);
    }

    @Test
    void deletingASubscriptionEndsItsPendingDeliveriesAndKeepsThemInTheLog() {
        TestReceiver receiver = TestReceiver.start().always(TestReceiver.Reply.hang());
        try {
            String id = (String) subscribe(receiver.url("/slow"), null).get("id");
            String job = submit("webhooks: deleted subscription", null);
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(receiver.forJob(job)).hasSize(1));

            http().delete().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isNoContent();

            assertThat(deliveriesOf(job)).singleElement().satisfies(d -> {
                assertThat(d.get("status")).isEqualTo("failed");
                assertThat(d.get("last_error")).isEqualTo("the subscription was deleted");
                assertThat(d).doesNotContainKey("subscription_id");
            });
        } finally {
            receiver.close();
        }
    }

    @Test
    void subscriptionBodiesAreValidated() {
        http().post().uri("/v1/webhooks").bodyValue(Map.of("url", "http://127.0.0.1:9/x", "events", List.of("job.done")))
                .exchange().expectStatus().isBadRequest()
                .expectBody(JSON).value(p -> assertThat(p).containsEntry("field", "events"));
        http().post().uri("/v1/webhooks").bodyValue(Map.of("url", "http://127.0.0.1:9/x", "events", List.of()))
                .exchange().expectStatus().isBadRequest()
                .expectBody(JSON).value(p -> assertThat(p).containsEntry("field", "events"));
        http().post().uri("/v1/webhooks").bodyValue(Map.of("events", List.of("job.failed")))
                .exchange().expectStatus().isBadRequest()
                .expectBody(JSON).value(p -> assertThat(p).containsEntry("field", "url"));
        http().post().uri("/v1/webhooks").contentType(MediaType.APPLICATION_JSON).bodyValue("{not json")
                .exchange().expectStatus().isBadRequest();
        http().get().uri("/v1/webhooks/deliveries?limit=1000").exchange().expectStatus().isBadRequest();
        http().get().uri("/v1/webhooks/whsub_doesnotexist").exchange().expectStatus().isNotFound();
        http().post().uri("/v1/webhooks/deliveries/msg_doesnotexist/redeliver").exchange().expectStatus().isNotFound();
    }

    @Test
    void aTeamSeesAndChangesOnlyItsOwnWebhooks() {
        TestReceiver receiver = TestReceiver.start();
        try {
            Map<String, Object> mine = subscribe(receiver.url("/a"), null);
            String id = (String) mine.get("id");
            String job = submit("webhooks: isolation", receiver.url("/callback"));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(deliveriesOf(job)).hasSize(2));
            String delivery = (String) deliveriesOf(job).get(0).get("id");

            http(TEAM_B_KEY).get().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).get().uri("/v1/webhooks/{id}/secret", id).exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).post().uri("/v1/webhooks/{id}/secret/rotate", id).exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).patch().uri("/v1/webhooks/{id}", id).bodyValue(Map.of("enabled", false))
                    .exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).delete().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).get().uri("/v1/webhooks").exchange().expectStatus().isOk()
                    .expectBody(JSON).value(list -> assertThat(list.get("data")).asList().isEmpty());
            http(TEAM_B_KEY).get().uri("/v1/webhooks/deliveries?job_id=" + job).exchange().expectStatus().isOk()
                    .expectBody(JSON).value(list -> assertThat(list.get("data")).asList().isEmpty());
            http(TEAM_B_KEY).get().uri("/v1/webhooks/deliveries/{id}", delivery).exchange().expectStatus().isNotFound();
            http(TEAM_B_KEY).post().uri("/v1/webhooks/deliveries/{id}/redeliver", delivery)
                    .exchange().expectStatus().isNotFound();
            String secretOfB = (String) http(TEAM_B_KEY).get().uri("/v1/webhooks/default/secret").exchange()
                    .expectStatus().isOk().expectBody(JSON).returnResult().getResponseBody().get("key");
            assertThat(secretOfB).isNotEqualTo(defaultSecret());

            http(ADMIN_KEY).get().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isOk();
            http(ADMIN_KEY).get().uri("/v1/webhooks/deliveries/{id}", delivery).exchange().expectStatus().isOk();
            http(ADMIN_KEY).post().uri("/v1/webhooks").bodyValue(Map.of("url", receiver.url("/admin")))
                    .exchange().expectStatus().isForbidden();
            http(ADMIN_KEY).get().uri("/v1/webhooks/default/secret").exchange().expectStatus().isForbidden();
            http(null).get().uri("/v1/webhooks").exchange().expectStatus().isUnauthorized();
            http(null).get().uri("/v1/webhooks/default/secret").exchange().expectStatus().isUnauthorized();

            // The list never shows secrets; the owner's GET of the subscription neither.
            http().get().uri("/v1/webhooks").exchange().expectBody(String.class)
                    .value(body -> assertThat(body).contains(id).doesNotContain("whsec_"));
            http().delete().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isNoContent();
            http().get().uri("/v1/webhooks/{id}", id).exchange().expectStatus().isNotFound();
        } finally {
            receiver.close();
        }
    }

    @Test
    void metersCountDeliveriesWithBoundedTagsOnly() {
        TestReceiver receiver = TestReceiver.start();
        try {
            String job = submit("webhooks: meters", receiver.url("/metered"));
            await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> assertThat(deliveriesOf(job))
                    .singleElement().satisfies(d -> assertThat(d.get("status")).isEqualTo("delivered")));

            String metrics = management().get().uri("/actuator/prometheus").exchange().expectStatus().isOk()
                    .expectBody(String.class).returnResult().getResponseBody();
            assertThat(metrics).contains("imageedit_webhook_deliveries_total{")
                    .contains("outcome=\"delivered\"")
                    .contains("imageedit_webhook_attempts_total{")
                    .contains("imageedit_webhook_attempt_duration_seconds_bucket{")
                    .contains("imageedit_webhook_delivery_lag_seconds_bucket{")
                    .contains("imageedit_webhook_oldest_pending_age_seconds");
            List<String> webhookLines = metrics.lines().filter(l -> l.startsWith("imageedit_webhook")).toList();
            assertThat(webhookLines).noneMatch(l -> l.contains("msg_") || l.contains("img_")
                    || l.contains("127.0.0.1") || l.contains("demo-a"));
        } finally {
            receiver.close();
        }
    }
}
