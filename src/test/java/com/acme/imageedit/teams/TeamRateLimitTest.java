package com.acme.imageedit.teams;

import java.util.List;
import java.util.stream.IntStream;

import com.acme.imageedit.IntegrationTest;
import org.junit.jupiter.api.Test;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;

import static org.assertj.core.api.Assertions.assertThat;

/** A team over its API rate is told to slow down (429 with Retry-After), and the others do not notice. */
class TeamRateLimitTest extends IntegrationTest {

    @Test
    void aTeamOverItsRateGets429WithRetryAfter() {
        List<EntityExchangeResult<byte[]>> results = IntStream.range(0, 6)
                .mapToObj(i -> http("limited-key").get().uri("/v1/usage").exchange().expectBody().returnResult())
                .toList();

        assertThat(results).filteredOn(r -> r.getStatus().value() == 200).hasSizeBetween(1, 4);
        EntityExchangeResult<byte[]> refused = results.stream().filter(r -> r.getStatus().value() == 429)
                .findFirst().orElseThrow();
        assertThat(refused.getResponseHeaders().getFirst("Retry-After")).isEqualTo("1");
        assertThat(refused.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
        assertThat(new String(refused.getResponseBody())).contains("rate_limit_exceeded");

        http(TEAM_B_KEY).get().uri("/v1/usage").exchange().expectStatus().isOk();
    }
}
