package com.acme.imageedit.teams;

import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import java.util.Map;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpStatus;
import org.springframework.web.reactive.function.BodyInserters;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Team "budget" may spend $0.48 a day: exactly ten $0.048 images. Concurrent submits cannot overspend it, refunds of
 * upstream failures make room again, and the ledger, the usage endpoint and the budget agree to the cent.
 */
class BudgetsTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final String BUDGET_KEY = "budget-key";

    @Test
    void aBudgetForTenImagesAcceptsExactlyTenOfAHundredConcurrentSubmits() {
        byte[] image = TestImages.png(256, 256);
        WebClient team = webClient(BUDGET_KEY);

        List<Outcome> first = Flux.range(0, 100)
                .flatMap(i -> submit(team, "[sim:slow] budget round one " + i, image), 100)
                .collectList().block(Duration.ofSeconds(60));

        List<Outcome> accepted = first.stream().filter(o -> o.status() == 202).toList();
        List<Outcome> refused = first.stream().filter(o -> o.status() != 202).toList();
        assertThat(accepted).hasSize(10);
        assertThat(refused).hasSize(90).allSatisfy(o -> {
            assertThat(o.status()).isEqualTo(HttpStatus.PAYMENT_REQUIRED.value());
            assertThat(o.body()).containsEntry("remaining_usd", 0.0);
            assertThat(o.body().get("error")).asString().contains("budget_exceeded");
        });
        assertThat(count("select count(*) from jobs where team_id = 'budget'")).isEqualTo(10);

        // Three of the ten fail upstream: their reservations are refunded, and exactly three more fit.
        List<String> ids = accepted.stream().map(o -> (String) o.body().get("id")).toList();
        await().atMost(Duration.ofSeconds(20)).until(() -> count(
                "select count(*) from jobs where team_id = 'budget' and status = 'RUNNING'") == 10);
        for (String id : ids.subList(0, 3)) {
            assertThat(simulator.failNow(upstreamId(id))).isTrue();
        }
        await().atMost(Duration.ofSeconds(20)).until(() -> count(
                "select count(*) from jobs where team_id = 'budget' and status = 'FAILED'") == 3);

        // Half of them with an Idempotency-Key (the key, the job and the answer in one transaction): a refused one
        // leaves no key behind either.
        List<Outcome> second = Flux.range(0, 20)
                .flatMap(i -> submit(team, "budget round two " + i, image, i % 2 == 0 ? "budget-two-" + i : null), 20)
                .collectList().block(Duration.ofSeconds(60));
        assertThat(second.stream().filter(o -> o.status() == 202)).hasSize(3);
        assertThat(second.stream().filter(o -> o.status() == 402)).hasSize(17);
        assertThat(count("select count(*) from idempotency_keys where team_id = 'budget'"))
                .isEqualTo(second.stream().filter(o -> o.status() == 202 && o.keyed()).count());
        assertThat(count("select count(*) from jobs where team_id = 'budget'")).isEqualTo(13);

        // The three new ones succeed; the seven slow ones are left running (reserved, not yet charged).
        await().atMost(Duration.ofSeconds(20)).until(() -> count(
                "select count(*) from jobs where team_id = 'budget' and status = 'SUCCEEDED'") == 3);

        BigDecimal ledger = db.sql("select coalesce(sum(charged_usd), 0) from spend_ledger where team_id = 'budget'")
                .map((row, meta) -> row.get(0, BigDecimal.class)).one().block();
        assertThat(ledger).isEqualByComparingTo("0.144");
        assertThat(count("select count(*) from spend_ledger where team_id = 'budget'")).isEqualTo(6);
        BigDecimal committed = db.sql("select committed_usd from budget_usage where team_id = 'budget' "
                        + "and period = 'DAY'")
                .map((row, meta) -> row.get(0, BigDecimal.class)).one().block();
        assertThat(committed).as("7 running + 3 succeeded").isEqualByComparingTo("0.48");

        Map<String, Object> usage = http(BUDGET_KEY).get().uri("/v1/usage").exchange().expectStatus().isOk()
                .expectBody(JSON).returnResult().getResponseBody();
        assertThat(((Number) usage.get("total_usd")).doubleValue()).isEqualTo(0.144);
        @SuppressWarnings("unchecked")
        List<Map<String, Object>> rows = (List<Map<String, Object>>) usage.get("data");
        assertThat(rows).singleElement().satisfies(row -> {
            assertThat(row).containsEntry("team", "budget").containsEntry("jobs", 6).containsEntry("succeeded", 3)
                    .containsEntry("failed", 3);
            assertThat(((Number) row.get("spent_usd")).doubleValue()).isEqualTo(0.144);
        });
    }

    private Mono<Outcome> submit(WebClient team, String prompt, byte[] image) {
        return submit(team, prompt, image, null);
    }

    private Mono<Outcome> submit(WebClient team, String prompt, byte[] image, String idempotencyKey) {
        return team.post().uri("/v1/images/edits?async=true")
                .headers(headers -> {
                    if (idempotencyKey != null) {
                        headers.set("Idempotency-Key", idempotencyKey);
                    }
                })
                .body(BodyInserters.fromMultipartData(EditForms.simple(prompt, image)))
                .exchangeToMono(response -> response.bodyToMono(JSON)
                        .map(body -> new Outcome(response.statusCode().value(), body, idempotencyKey != null)));
    }

    private String upstreamId(String jobId) {
        return db.sql("select upstream_id from jobs where id = :id").bind("id", jobId)
                .map((row, meta) -> row.get(0, String.class)).one().block(Duration.ofSeconds(5));
    }

    private record Outcome(int status, Map<String, Object> body, boolean keyed) {
    }
}
