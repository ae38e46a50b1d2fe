package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;

import com.github.tomakehurst.wiremock.http.Fault;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.test.StepVerifier;

/** What a lost connection means depends on whether the request may have been processed. */
class TheRouterClientTransportTest extends TheRouterWireMock {

    private static final UpstreamSubmission SUBMISSION = new UpstreamSubmission("m", "p",
            TheRouterClientSubmitTest.PNG, "image/png", null, null, null, null);

    /** Longer than the test response timeout, and never waited for in full: the client gives up first. */
    private static final int SLOW_MS = (int) RESPONSE_TIMEOUT.multipliedBy(4).toMillis();

    @Test
    void connectionRefusedIsRetryableNotSent() throws IOException {
        TheRouterClient unreachable = client(properties(closedPort(), DataSize.ofMegabytes(1)));

        StepVerifier.create(unreachable.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class).hasMessageContaining("not sent");
                    assertThat(((UpstreamException) e).httpStatus()).isZero();
                })
                .verify(Duration.ofSeconds(5));
        StepVerifier.create(unreachable.poll("j"))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(UpstreamException.Retryable.class))
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void unknownHostIsRetryableNotSent() {
        TheRouterClient unreachable = client(properties(URI.create("http://no-such-host.invalid"),
                DataSize.ofMegabytes(1)));

        StepVerifier.create(unreachable.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class).hasMessageContaining("not sent");
                    assertThat(((UpstreamException) e).httpStatus()).isZero();
                })
                .verify(Duration.ofSeconds(10));
    }

    @Test
    void submitResetAfterSendingIsOutcomeUnknownAndNotResent() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits"))
                .willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectError(UpstreamException.OutcomeUnknown.class)
                .verify(Duration.ofSeconds(5));
        // A silent transport-level retry would double-bill: the one request must stay one.
        upstream.verify(1, postRequestedFor(urlPathEqualTo("/v1/images/edits")));
    }

    @Test
    void submitResponseTimeoutIsOutcomeUnknown() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits"))
                .willReturn(aResponse().withStatus(202).withBody("{\"id\":\"late\"}").withFixedDelay(SLOW_MS)));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.OutcomeUnknown.class);
                    assertThat(((UpstreamException) e).httpStatus()).isZero();
                })
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void submitGarbageThenCloseIsOutcomeUnknown() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits"))
                .willReturn(aResponse().withFault(Fault.MALFORMED_RESPONSE_CHUNK)));

        StepVerifier.create(client.submit(SUBMISSION))
                .expectError(UpstreamException.OutcomeUnknown.class)
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void pollResetIsRetryable() {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j")).willReturn(aResponse().withFault(Fault.CONNECTION_RESET_BY_PEER)));

        StepVerifier.create(client.poll("j"))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class).hasMessageContaining("no answer");
                    assertThat(((UpstreamException) e).httpStatus()).isZero();
                })
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void pollResponseTimeoutIsRetryable() {
        upstream.stubFor(get(urlPathEqualTo("/v1/jobs/j"))
                .willReturn(aResponse().withStatus(200).withBody("{}").withFixedDelay(SLOW_MS)));

        StepVerifier.create(client.poll("j"))
                .expectError(UpstreamException.Retryable.class)
                .verify(Duration.ofSeconds(5));
    }

    private static URI closedPort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            return URI.create("http://127.0.0.1:" + socket.getLocalPort());
        }
    }
}
