package com.acme.imageedit.teams;

import java.time.Duration;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * A team rotates its key at runtime: a second key is added (both work), then the old one is removed (only the new one
 * works), while another team keeps calling without a single refusal and nothing restarts.
 */
class KeyRotationTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };

    @Test
    void aKeyIsRotatedWithoutDisturbingAnyoneElse() {
        AtomicInteger otherTeamCalls = new AtomicInteger();
        AtomicInteger otherTeamRefusals = new AtomicInteger();
        AtomicBoolean stop = new AtomicBoolean();
        WebClient teamB = webClient(TEAM_B_KEY);
        Disposable background = Flux.interval(Duration.ofMillis(20))
                .onBackpressureDrop()
                .takeWhile(tick -> !stop.get())
                .concatMap(tick -> teamB.get().uri("/v1/usage").exchangeToMono(r -> r.releaseBody()
                        .thenReturn(r.statusCode().value())))
                .subscribe(status -> {
                    otherTeamCalls.incrementAndGet();
                    if (status != 200) {
                        otherTeamRefusals.incrementAndGet();
                    }
                }, error -> otherTeamRefusals.incrementAndGet());
        try {
            // A first rotated key, made by an admin: the old configured key and the new one both work.
            Map<String, Object> first = newKey("rotation 1");
            String firstKey = (String) first.get("key");
            assertThat(firstKey).startsWith("iep_");
            assertThat((String) first.get("key_hash")).hasSize(64).isNotEqualTo(firstKey);
            assertThat(usageStatus(TEAM_A_KEY)).isEqualTo(200);
            assertThat(usageStatus(firstKey)).isEqualTo(200);

            // And the next rotation: add the second key, remove the first.
            Map<String, Object> second = newKey("rotation 2");
            String secondKey = (String) second.get("key");
            assertThat(usageStatus(firstKey)).isEqualTo(200);
            assertThat(usageStatus(secondKey)).isEqualTo(200);
            http(ADMIN_KEY).delete().uri("/v1/admin/teams/demo-a/keys/{hash}", first.get("key_hash")).exchange()
                    .expectStatus().isNoContent();
            assertThat(usageStatus(firstKey)).isEqualTo(401);
            assertThat(usageStatus(secondKey)).isEqualTo(200);

            // A key declared in the configuration is removed there, not through the API.
            String configured = "d1fc82a099a76965520da9da1a18e44e29d384dab69f26b55ae75bedab0d97c7";
            http(ADMIN_KEY).delete().uri("/v1/admin/teams/demo-a/keys/{hash}", configured).exchange()
                    .expectStatus().isEqualTo(409);

            await().atMost(Duration.ofSeconds(5)).until(() -> otherTeamCalls.get() >= 20);
        } finally {
            stop.set(true);
            background.dispose();
        }
        assertThat(otherTeamRefusals.get()).as("refusals of team B during the rotation").isZero();
    }

    private Map<String, Object> newKey(String label) {
        return http(ADMIN_KEY).post().uri("/v1/admin/teams/demo-a/keys")
                .header(HttpHeaders.CONTENT_TYPE, "application/json")
                .bodyValue(Map.of("label", label))
                .exchange().expectStatus().isCreated().expectBody(JSON).returnResult().getResponseBody();
    }

    private int usageStatus(String key) {
        return http(key).get().uri("/v1/usage").exchange().returnResult(String.class).getStatus().value();
    }
}
