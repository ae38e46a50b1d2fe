package com.acme.imageedit.teams;

import java.time.Duration;
import java.util.Map;
import java.util.stream.Stream;

import com.acme.imageedit.IntegrationTest;
import com.acme.imageedit.support.EditForms;
import com.acme.imageedit.support.TestImages;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.springframework.core.ParameterizedTypeReference;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.BodyInserters;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Every endpoint against every kind of caller: no key, a wrong key, another team's key, the owner's key, an admin key.
 * The job under test belongs to team demo-a; demo-b is "another team". No body given to another team may carry the
 * owner's data.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class AuthorizationMatrixTest extends IntegrationTest {

    private static final ParameterizedTypeReference<Map<String, Object>> JSON = new ParameterizedTypeReference<>() {
    };
    private static final String SECRET_PROMPT = "team A's secret prompt";

    private String jobOfA;

    @BeforeAll
    void teamAHasASucceededJob() {
        jobOfA = (String) http(TEAM_A_KEY).post().uri("/v1/images/edits?async=true")
                .body(BodyInserters.fromMultipartData(EditForms.simple(SECRET_PROMPT, TestImages.png(256, 256))))
                .exchange().expectStatus().isAccepted().expectBody(JSON).returnResult().getResponseBody().get("id");
        await().atMost(Duration.ofSeconds(20)).until(() -> count(
                "select count(*) from jobs where status = 'SUCCEEDED' and id = '" + jobOfA + "'") == 1);
    }

    enum Caller {
        NONE(null), WRONG("not-a-real-key"), OTHER_TEAM(TEAM_B_KEY), OWNER(TEAM_A_KEY), ADMIN(ADMIN_KEY);

        final String key;

        Caller(String key) {
            this.key = key;
        }
    }

    static Stream<Arguments> matrix() {
        return Stream.of(
                row("submit an edit", 401, 401, 202, 202, 403, (t, job) -> t.post().uri("/v1/images/edits?async=true")
                        .body(BodyInserters.fromMultipartData(EditForms.simple("matrix", TestImages.png(256, 256))))),
                row("get a job", 401, 401, 404, 200, 200, (t, job) -> t.get().uri("/v1/jobs/" + job)),
                row("get a job's content", 401, 401, 404, 200, 200,
                        (t, job) -> t.get().uri("/v1/jobs/" + job + "/content")),
                row("list jobs", 401, 401, 200, 200, 200, (t, job) -> t.get().uri("/v1/jobs")),
                row("cancel an ended job", 401, 401, 404, 409, 409,
                        (t, job) -> t.post().uri("/v1/jobs/" + job + "/cancel")),
                row("stream a job's events", 401, 401, 404, 200, 200,
                        (t, job) -> t.get().uri("/v1/jobs/" + job + "/events")),
                row("submit a generation", 401, 401, 202, 202, 403,
                        (t, job) -> t.post().uri("/v1/images/generations?async=true")
                                .contentType(MediaType.APPLICATION_JSON)
                                .bodyValue(Map.of("model", "qwen/qwen-image", "prompt", "matrix"))),
                row("the OpenAPI document", 200, 200, 200, 200, 200, (t, job) -> t.get().uri("/v3/api-docs")),
                row("own usage", 401, 401, 200, 200, 200, (t, job) -> t.get().uri("/v1/usage")),
                row("team A's usage", 401, 401, 403, 200, 200, (t, job) -> t.get().uri("/v1/usage?team=demo-a")),
                row("list teams", 401, 401, 403, 403, 200, (t, job) -> t.get().uri("/v1/admin/teams")),
                row("list team A's keys", 401, 401, 403, 403, 200,
                        (t, job) -> t.get().uri("/v1/admin/teams/demo-a/keys")),
                row("make a key for the configuration", 401, 401, 403, 403, 200,
                        (t, job) -> t.post().uri("/v1/admin/key-hashes")),
                row("re-encrypt webhook secrets", 401, 401, 403, 403, 200,
                        (t, job) -> t.post().uri("/v1/admin/webhook-secrets/re-encrypt")),
                row("rotate the result-link key", 401, 401, 403, 403, 200,
                        (t, job) -> t.post().uri("/v1/admin/link-keys/rotate")),
                row("health, on the API port", 404, 404, 404, 404, 404, (t, job) -> t.get().uri("/actuator/health")),
                row("metrics, on the API port", 404, 404, 404, 404, 404,
                        (t, job) -> t.get().uri("/actuator/prometheus")));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("matrix")
    void everyCallerGetsWhatItMay(String name, Map<Caller, Integer> expected, Request request) {
        for (Caller caller : Caller.values()) {
            EntityExchangeResult<byte[]> result = request.send(http(caller.key), jobOfA).exchange()
                    .expectBody().returnResult();
            assertThat(result.getStatus().value()).as("%s as %s", name, caller).isEqualTo(expected.get(caller));
            String body = result.getResponseBody() == null ? "" : new String(result.getResponseBody());
            if (result.getStatus().isError()) {
                assertThat(result.getResponseHeaders().getContentType())
                        .isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            }
            if (result.getStatus().value() == 401) {
                assertThat(result.getResponseHeaders().getFirst(HttpHeaders.WWW_AUTHENTICATE)).isEqualTo("Bearer");
            }
            if (caller == Caller.OTHER_TEAM || caller == Caller.NONE || caller == Caller.WRONG) {
                assertThat(body).as("%s as %s leaks nothing of team A", name, caller)
                        .doesNotContain(SECRET_PROMPT).doesNotContain("\"demo-a\"");
                if (result.getStatus().isError()) {
                    assertThat(body).doesNotContain("polling_url").doesNotContain("created_at");
                }
            }
        }
    }

    interface Request {
        WebTestClient.RequestHeadersSpec<?> send(WebTestClient client, String jobOfA);
    }

    private static Arguments row(String name, int none, int wrong, int other, int owner, int admin,
                                 Request request) {
        return Arguments.of(name, Map.of(Caller.NONE, none, Caller.WRONG, wrong, Caller.OTHER_TEAM, other,
                Caller.OWNER, owner, Caller.ADMIN, admin), request);
    }
}
