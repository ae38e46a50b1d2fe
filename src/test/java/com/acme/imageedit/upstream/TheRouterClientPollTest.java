package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;

import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

class TheRouterClientPollTest extends TheRouterWireMock {

    private static void jobAnswers(String id, String body) {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/" + id)).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody(body)));
    }

    @Test
    void succeededJobWithUnsignedUrlsAndIsoTimestamps() {
        jobAnswers("img_1", """
                {"id":"img_1","object":"image_job","status":"SUCCEEDED","model":"qwen/qwen-image-edit",
                 "created_at":"2026-05-13T01:54:09Z","expires_at":"2026-05-20T03:54:09+02:00",
                 "unsigned_urls":["https://cdn.example/a.png?sig=1","https://cdn.example/b.png"],
                 "usage":{"images":1},"surprise":true}""");

        StepVerifier.create(client.poll("img_1"))
                .assertNext(job -> {
                    assertThat(job.status()).isEqualTo("succeeded");
                    assertThat(job.isSucceeded()).isTrue();
                    assertThat(job.isTerminal()).isTrue();
                    assertThat(job.createdAt()).isEqualTo(Instant.parse("2026-05-13T01:54:09Z"));
                    assertThat(job.expiresAt()).isEqualTo(Instant.parse("2026-05-20T01:54:09Z"));
                    assertThat(job.resultUrls())
                            .containsExactly("https://cdn.example/a.png?sig=1", "https://cdn.example/b.png");
                    assertThat(job.resultBase64()).isNull();
                    assertThat(job.error()).isNull();
                })
                .verifyComplete();

        upstream.verify(getRequestedFor(urlEqualTo("/v1/jobs/img_1"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY))
                .withHeader("Accept", equalTo("application/json")));
    }

    @Test
    void succeededJobWithResultDataUrlAndBase64() {
        jobAnswers("img_2", """
                {"id":"img_2","status":"succeeded","created_at":1778637249.5,"expires_at":1779242049000,
                 "result":{"data":[{"url":"https://cdn.example/r.png"},{"b64_json":"iVBORw0KGgo="}]}}""");

        StepVerifier.create(client.poll("img_2"))
                .assertNext(job -> {
                    assertThat(job.resultUrls()).containsExactly("https://cdn.example/r.png");
                    assertThat(job.resultBase64()).isEqualTo("iVBORw0KGgo=");
                    assertThat(job.createdAt()).isEqualTo(Instant.ofEpochSecond(1778637249, 500_000_000));
                    assertThat(job.expiresAt()).isEqualTo(Instant.ofEpochSecond(1779242049));
                })
                .verifyComplete();
    }

    @Test
    void unknownStatusIsKeptAndNonTerminal() {
        jobAnswers("img_3", "{\"id\":\"img_3\",\"status\":\"Upscaling\"}");

        StepVerifier.create(client.poll("img_3"))
                .assertNext(job -> {
                    assertThat(job.status()).isEqualTo("upscaling");
                    assertThat(job.isTerminal()).isFalse();
                })
                .verifyComplete();
    }

    @Test
    void failedJobCarriesItsErrorObjectOrString() {
        jobAnswers("img_4", """
                {"id":"img_4","status":"failed","error":{"code":502,"type":"upstream_error",
                 "message":"provider down","metadata":{"retryable":true}}}""");
        jobAnswers("img_5", "{\"id\":\"img_5\",\"status\":\"failed\",\"error\":\"content policy\"}");

        StepVerifier.create(client.poll("img_4"))
                .assertNext(job -> {
                    assertThat(job.isFailed()).isTrue();
                    assertThat(job.error()).isEqualTo(new UpstreamError("502", "upstream_error", "provider down", true));
                })
                .verifyComplete();
        StepVerifier.create(client.poll("img_5"))
                .assertNext(job -> assertThat(job.error()).isEqualTo(new UpstreamError(null, null, "content policy", null)))
                .verifyComplete();
    }

    @Test
    void idIsEncodedAsOnePathSegment() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/a%2Fb%20c")).willReturn(aResponse().withStatus(200)
                .withBody("{\"id\":\"a/b c\",\"status\":\"queued\"}")));

        StepVerifier.create(client.poll("a/b c"))
                .assertNext(job -> assertThat(job.id()).isEqualTo("a/b c"))
                .verifyComplete();
    }

    @Test
    void missingStatusIsRetryableMalformedResponse() {
        jobAnswers("img_6", "{\"id\":\"img_6\"}");

        StepVerifier.create(client.poll("img_6"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class);
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(200);
                })
                .verify();
    }

    @Test
    void poll404IsNotFound() {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/gone")).willReturn(aResponse().withStatus(404)
                .withHeader("x-request-id", "req-404")
                .withBody("{\"error\":{\"code\":404,\"type\":\"not_found\",\"message\":\"job not found\"}}")));

        StepVerifier.create(client.poll("gone"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.NotFound.class).hasMessageContaining("req-404");
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(404);
                    assertThat(((UpstreamException) e).error().message()).isEqualTo("job not found");
                })
                .verify();
    }
}
