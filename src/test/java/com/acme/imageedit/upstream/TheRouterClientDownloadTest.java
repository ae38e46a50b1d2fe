package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.util.Arrays;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;

import com.github.tomakehurst.wiremock.WireMockServer;
import com.github.tomakehurst.wiremock.http.Fault;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

class TheRouterClientDownloadTest extends TheRouterWireMock {

    private static final byte[] PNG = TheRouterClientSubmitTest.PNG;
    private static final byte[] WEBP = { 'R', 'I', 'F', 'F', 0, 0, 0, 0, 'W', 'E', 'B', 'P', 'V', 'P', '8', ' ' };

    /** A different origin (other port): it must never see the API key, and costs the account nothing. */
    static WireMockServer storage;

    /** Stands for the dispatcher's gate: counts the requests that took a permit of the shared budget. */
    private final CountingGate gate = new CountingGate();

    static final class CountingGate implements OriginGate {
        final List<UpstreamCall> permits = new CopyOnWriteArrayList<>();

        @Override
        public <T> Mono<T> call(UpstreamCall call, Mono<T> request) {
            return Mono.defer(() -> {
                permits.add(call);
                return request;
            });
        }
    }

    @BeforeAll
    static void startStorage() {
        storage = new WireMockServer(wireMockConfig().dynamicPort());
        storage.start();
    }

    @AfterAll
    static void stopStorage() {
        storage.stop();
    }

    @BeforeEach
    void resetStorage() {
        storage.resetAll();
    }

    private static String storageUrl(String path) {
        return "http://localhost:" + storage.port() + path;
    }

    private static UpstreamJob succeeded(String id, List<String> urls, String base64) {
        return new UpstreamJob(id, "succeeded", "m", null, null, urls, base64, null);
    }

    @Test
    void contentEndpointRedirectsToStorageWithoutLeakingTheKey() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_1/content")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", storageUrl("/bucket/img_1.webp?X-Amz-Signature=abc"))));
        storage.stubFor(get(urlPathEqualTo("/bucket/img_1.webp")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/octet-stream").withBody(WEBP)));

        StepVerifier.create(client.downloadResult(succeeded("img_1", List.of(), null), gate))
                .assertNext(image -> {
                    assertThat(image.bytes()).isEqualTo(WEBP);
                    assertThat(image.contentType()).isEqualTo("image/webp");
                })
                .verifyComplete();

        upstream.verify(getRequestedFor(urlEqualTo("/v1/jobs/img_1/content"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        storage.verify(1, getRequestedFor(urlPathEqualTo("/bucket/img_1.webp"))
                .withQueryParam("X-Amz-Signature", equalTo("abc"))
                .withHeader("Authorization", absent()));
        assertThat(gate.permits).as("the request to TheRouter's /content only").containsExactly(UpstreamCall.DOWNLOAD);
    }

    @Test
    void aRedirectFromStorageBackToTheApiHostTakesAPermitAndTheKeyThere() {
        storage.stubFor(get(urlEqualTo("/moved.png")).willReturn(aResponse().withStatus(301)
                .withHeader("Location", baseUrl() + "/files/img_11.png")));
        upstream.stubFor(get(urlEqualTo("/files/img_11.png")).willReturn(aResponse().withStatus(200).withBody(PNG)));

        StepVerifier.create(client.downloadResult(succeeded("img_11", List.of(storageUrl("/moved.png")), null), gate))
                .assertNext(image -> assertThat(image.bytes()).isEqualTo(PNG))
                .verifyComplete();

        storage.verify(getRequestedFor(urlEqualTo("/moved.png")).withHeader("Authorization", absent()));
        upstream.verify(getRequestedFor(urlEqualTo("/files/img_11.png"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(gate.permits).as("the hop to TheRouter's origin only").containsExactly(UpstreamCall.DOWNLOAD);
    }

    @Test
    void aRequestTheGateHoldsBackIsNeverSentAndEndsTheDownload() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_12/content")).willReturn(aResponse().withStatus(200)
                .withBody(PNG)));
        OriginGate shut = new OriginGate() {
            @Override
            public <T> Mono<T> call(UpstreamCall call, Mono<T> request) {
                return Mono.error(new TimeoutException("no permit of the shared budget in time"));
            }
        };

        StepVerifier.create(client.downloadResult(succeeded("img_12", List.of(baseUrl() + "/r/img_12.png"), null),
                        shut))
                .expectError(TimeoutException.class)
                .verify(Duration.ofSeconds(5));
        assertThat(upstream.getAllServeEvents()).as("requests that reached TheRouter").isEmpty();
    }

    @Test
    void relativeRedirectOnTheBaseHostKeepsTheKey() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_2/content"))
                .willReturn(aResponse().withStatus(307).withHeader("Location", "/files/img_2")));
        upstream.stubFor(get(urlEqualTo("/files/img_2")).willReturn(aResponse().withStatus(200).withBody(PNG)));

        StepVerifier.create(client.downloadResult(succeeded("img_2", List.of(), null), gate))
                .assertNext(image -> assertThat(image.contentType()).isEqualTo("image/png"))
                .verifyComplete();

        upstream.verify(getRequestedFor(urlEqualTo("/files/img_2"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY)));
        assertThat(gate.permits).as("/content and the hop that stays on the API host")
                .containsExactly(UpstreamCall.DOWNLOAD, UpstreamCall.DOWNLOAD);
    }

    @Test
    void triesResultUrlsInOrderThenSucceedsWithoutKeyOnStorage() {
        storage.stubFor(get(urlEqualTo("/expired.png")).willReturn(aResponse().withStatus(403)
                .withHeader("Content-Type", "application/xml").withBody("<Error><Code>AccessDenied</Code></Error>")));
        storage.stubFor(get(urlEqualTo("/fresh.png")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/png").withBody(PNG)));

        StepVerifier.create(client.downloadResult(
                        succeeded("img_3", List.of(storageUrl("/expired.png"), storageUrl("/fresh.png")), null), gate))
                .assertNext(image -> assertThat(image.bytes()).isEqualTo(PNG))
                .verifyComplete();

        storage.verify(getRequestedFor(urlEqualTo("/expired.png")).withHeader("Authorization", absent()));
        storage.verify(getRequestedFor(urlEqualTo("/fresh.png")).withHeader("Authorization", absent()));
        upstream.verify(0, getRequestedFor(urlEqualTo("/v1/jobs/img_3/content")));
        assertThat(gate.permits).as("storage costs the account nothing").isEmpty();
    }

    @Test
    void fallsBackToContentEndpointAfterBadUrls() {
        storage.stubFor(get(urlEqualTo("/json.png")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"error\":\"expired\"}")));
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_4/content")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/gif").withBody("GIF89a....")));

        StepVerifier.create(client.downloadResult(succeeded("img_4", List.of(storageUrl("/json.png")), null), gate))
                .assertNext(image -> assertThat(image.contentType()).isEqualTo("image/gif"))
                .verifyComplete();
    }

    @Test
    void aResultIsAnImageByItsBytesWhateverItsHeaderSays() {
        storage.stubFor(get(urlEqualTo("/labelled-avif")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/avif").withBody(new byte[] { 1, 2, 3 })));
        storage.stubFor(get(urlEqualTo("/svg")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/svg+xml").withBody("<svg xmlns=\"http://www.w3.org/2000/svg\"/>")));
        storage.stubFor(get(urlEqualTo("/login")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "text/html").withBody("<html><body>Sign in</body></html>")));
        storage.stubFor(get(urlEqualTo("/empty")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "image/png")));
        storage.stubFor(get(urlEqualTo("/unlabelled-png")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/octet-stream").withBody(PNG)));

        for (String path : List.of("/labelled-avif", "/svg", "/login", "/empty")) {
            StepVerifier.create(client.downloadResult(succeeded("", List.of(storageUrl(path)), null), gate))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).as(path).isInstanceOf(UpstreamException.Rejected.class)
                                .hasMessageContaining("no image");
                        assertThat(((UpstreamException) e).error().code()).isEqualTo(ResultDownloader.NOT_AN_IMAGE);
                    })
                    .verify(Duration.ofSeconds(5));
        }
        StepVerifier.create(client.downloadResult(succeeded("", List.of(storageUrl("/unlabelled-png")), null), gate))
                .assertNext(image -> assertThat(image.contentType()).isEqualTo("image/png"))
                .verifyComplete();
    }

    @Test
    void allCandidatesFailingSignalsTheLastTypedError() {
        storage.stubFor(get(urlEqualTo("/down.png")).willReturn(aResponse().withStatus(500)));
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_5/content")).willReturn(aResponse().withStatus(404)
                .withHeader("x-request-id", "req-c").withBody("{\"error\":{\"code\":404,\"message\":\"no content\"}}")));

        StepVerifier.create(client.downloadResult(succeeded("img_5", List.of(storageUrl("/down.png")), null), gate))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.NotFound.class).hasMessageContaining("req-c");
                    assertThat(((UpstreamException) e).error().message()).isEqualTo("no content");
                })
                .verify();
        storage.verify(1, getRequestedFor(urlEqualTo("/down.png")));
    }

    @Test
    void transportFailureOnDownloadIsRetryable() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_6/content")).willReturn(aResponse()
                .withFault(Fault.CONNECTION_RESET_BY_PEER)));

        StepVerifier.create(client.downloadResult(succeeded("img_6", List.of(), null), gate))
                .expectError(UpstreamException.Retryable.class)
                .verify(Duration.ofSeconds(5));
    }

    @Test
    void inlineBase64NeedsNoRequest() {
        String b64 = Base64.getEncoder().encodeToString(PNG);

        StepVerifier.create(client.downloadResult(succeeded("img_7", List.of(storageUrl("/never")), b64), gate))
                .assertNext(image -> {
                    assertThat(image.bytes()).isEqualTo(PNG);
                    assertThat(image.contentType()).isEqualTo("image/png");
                })
                .verifyComplete();
        StepVerifier.create(client.downloadResult(succeeded("img_7", List.of(), "data:image/png;base64," + b64), gate))
                .assertNext(image -> assertThat(image.bytes()).isEqualTo(PNG))
                .verifyComplete();
        assertThat(storage.getAllServeEvents()).isEmpty();
    }

    @Test
    void resultLargerThanTheLimitIsRejectedWithoutTryingOtherCandidates() {
        TheRouterClient small = client(properties(baseUrl(), DataSize.ofBytes(1024)));
        byte[] big = Arrays.copyOf(PNG, 4096);
        storage.stubFor(get(urlEqualTo("/big.png")).willReturn(aResponse().withStatus(200).withBody(big)));
        // No Content-Length: the limit must hold while streaming, not just on the header.
        storage.stubFor(get(urlEqualTo("/big-chunked.png")).willReturn(aResponse().withStatus(200).withBody(big)
                .withChunkedDribbleDelay(4, 20)));

        for (String path : List.of("/big.png", "/big-chunked.png")) {
            StepVerifier.create(small.downloadResult(succeeded("img_8", List.of(storageUrl(path)), null), gate))
                    .expectErrorSatisfies(e -> {
                        assertThat(e).isInstanceOf(UpstreamException.Rejected.class);
                        assertThat(((UpstreamException) e).error().code()).isEqualTo(ResultDownloader.TOO_LARGE);
                    })
                    .verify(Duration.ofSeconds(5));
        }
        StepVerifier.create(small.downloadResult(
                        succeeded("img_8", List.of(), Base64.getEncoder().encodeToString(big)), gate))
                .expectError(UpstreamException.Rejected.class)
                .verify();
        upstream.verify(0, getRequestedFor(urlEqualTo("/v1/jobs/img_8/content")));
    }

    @Test
    void moreThanThreeRedirectsFails() {
        for (int i = 0; i < 5; i++) {
            storage.stubFor(get(urlEqualTo("/hop" + i)).willReturn(aResponse().withStatus(302)
                    .withHeader("Location", "/hop" + (i + 1))));
        }
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_9/content")).willReturn(aResponse().withStatus(404)));

        StepVerifier.create(client.downloadResult(succeeded("img_9", List.of(storageUrl("/hop0")), null), gate))
                .expectError(UpstreamException.NotFound.class)
                .verify();
        // The original request plus three followed redirects, then the next candidate.
        for (int i = 0; i <= ResultDownloader.MAX_REDIRECTS; i++) {
            storage.verify(1, getRequestedFor(urlEqualTo("/hop" + i)));
        }
        storage.verify(0, getRequestedFor(urlEqualTo("/hop4")));
    }

    @Test
    void slowDownloadTimesOutAsRetryable() {
        TheRouterProperties p = properties(baseUrl(), DataSize.ofMegabytes(1));
        TheRouterClient impatient = client(new TheRouterProperties(p.baseUrl(), p.apiKey(), p.connectTimeout(),
                p.responseTimeout(), Duration.ofMillis(300), p.maxResultSize()));
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_10/content"))
                .willReturn(aResponse().withStatus(200).withBody(PNG).withFixedDelay(1500)));

        StepVerifier.create(impatient.downloadResult(succeeded("img_10", List.of(), null), gate))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Retryable.class);
                    assertThat(((UpstreamException) e).httpStatus()).isZero();
                })
                .verify(Duration.ofSeconds(5));
    }
}
