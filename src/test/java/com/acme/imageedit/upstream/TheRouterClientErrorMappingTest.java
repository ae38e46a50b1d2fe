package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import java.time.Duration;
import java.time.ZoneOffset;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.util.stream.Stream;

import com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;
import reactor.test.StepVerifier;

class TheRouterClientErrorMappingTest extends TheRouterWireMock {

    private static final UpstreamSubmission SUBMISSION = new UpstreamSubmission("m", "p",
            TheRouterClientSubmitTest.PNG, "image/png", null, null, null, null);

    static Stream<Arguments> errorShapes() {
        return Stream.of(
                Arguments.of("TheRouter", 502,
                        "{\"error\":{\"code\":502,\"type\":\"upstream_error\",\"message\":\"SiliconFlow timed out\","
                                + "\"metadata\":{\"retryable\":true,\"provider\":\"siliconflow\"}}}",
                        new UpstreamError("502", "upstream_error", "SiliconFlow timed out", true)),
                Arguments.of("OpenAI string code", 429,
                        "{\"error\":{\"code\":\"rate_limit_exceeded\",\"type\":\"requests\",\"message\":\"Slow down\"}}",
                        new UpstreamError("rate_limit_exceeded", "requests", "Slow down", null)),
                Arguments.of("SiliconFlow", 400,
                        "{\"code\":20015,\"message\":\"The parameter is invalid.\",\"data\":null}",
                        new UpstreamError("20015", null, "The parameter is invalid.", null)),
                Arguments.of("plain error string", 401, "{\"error\":\"invalid api key\"}",
                        new UpstreamError(null, null, "invalid api key", null)),
                Arguments.of("bare message", 500, "{\"message\":\"internal oops\"}",
                        new UpstreamError(null, null, "internal oops", null)),
                Arguments.of("non-JSON", 502, "<html><body>Bad Gateway from nginx</body></html>",
                        new UpstreamError(null, null, "Bad Gateway: <html><body>Bad Gateway from nginx</body></html>",
                                null)),
                Arguments.of("empty", 503, "", new UpstreamError(null, null, "Service Unavailable", null)),
                Arguments.of("error object without message", 422, "{\"error\":{\"code\":\"bad_size\"}}",
                        new UpstreamError("bad_size", null, "Unprocessable Content", null)));
    }

    @ParameterizedTest(name = "{0}")
    @MethodSource("errorShapes")
    void everyErrorShapeIsParsed(String shape, int status, String body, UpstreamError expected) {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j")).willReturn(
                aResponse().withStatus(status).withHeader("x-request-id", "req-" + status).withBody(body)));

        StepVerifier.create(client.poll("j"))
                .expectErrorSatisfies(e -> {
                    UpstreamException ue = (UpstreamException) e;
                    assertThat(ue.httpStatus()).isEqualTo(status);
                    assertThat(ue.error()).isEqualTo(expected);
                    assertThat(ue.getMessage()).contains("req-" + status).contains(expected.message());
                    assertThat(ue).isInstanceOf(status >= 500 || status == 429
                            ? UpstreamException.Retryable.class : UpstreamException.Rejected.class);
                })
                .verify();
    }

    @Test
    void longNonJsonBodyIsCutTo200Characters() {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j")).willReturn(aResponse().withStatus(500)
                .withBody("x".repeat(5000))));

        StepVerifier.create(client.poll("j"))
                .expectErrorSatisfies(e -> assertThat(((UpstreamException) e).error().message())
                        .isEqualTo("Internal Server Error: " + "x".repeat(200) + "…"))
                .verify();
    }

    @ParameterizedTest
    @ValueSource(ints = { 400, 401, 403, 409, 413, 415, 422, 418 })
    void clientErrorsAreRejected(int status) {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(status)
                .withBody("{\"error\":{\"code\":" + status + ",\"message\":\"no\"}}")));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Rejected.class);
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(status);
                })
                .verify();
    }

    @ParameterizedTest
    @ValueSource(ints = { 408, 429, 500, 502, 503, 504, 599 })
    void transientStatusesAreRetryable(int status) {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(status)));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class);
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(status);
                    assertThat(((UpstreamException.Retryable) e).retryAfter()).isNull();
                })
                .verify();
    }

    @Test
    void retryAfterSeconds() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(tooMany().withHeader("Retry-After", "7")));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class);
                    assertThat(((UpstreamException.Retryable) e).retryAfter()).isEqualTo(Duration.ofSeconds(7));
                    assertThat(((UpstreamException) e).error().code()).isEqualTo("rate_limit_exceeded");
                })
                .verify();
    }

    @Test
    void retryAfterHttpDate() {
        String in90s = DateTimeFormatter.RFC_1123_DATE_TIME.format(ZonedDateTime.now(ZoneOffset.UTC).plusSeconds(90));
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j")).willReturn(tooMany().withHeader("Retry-After", in90s)));

        StepVerifier.create(client.poll("j"))
                .expectErrorSatisfies(e -> assertThat(((UpstreamException.Retryable) e).retryAfter().toSeconds())
                        .isCloseTo(90, within(3L)))
                .verify();
    }

    @Test
    void serviceUnavailableWithRetryAfter() {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j")).willReturn(aResponse().withStatus(503)
                .withHeader("Retry-After", "120").withBody("{\"error\":{\"code\":503,\"message\":\"maintenance\"}}")));

        StepVerifier.create(client.poll("j"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class);
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(503);
                    assertThat(((UpstreamException.Retryable) e).retryAfter()).isEqualTo(Duration.ofMinutes(2));
                    assertThat(((UpstreamException) e).error().message()).isEqualTo("maintenance");
                })
                .verify();
    }

    private static ResponseDefinitionBuilder tooMany() {
        return aResponse().withStatus(429).withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":\"rate_limit_exceeded\",\"message\":\"Too many requests\"}}");
    }
}
