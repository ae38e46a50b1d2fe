package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.util.Base64;
import java.util.List;
import java.util.stream.Stream;

import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

/**
 * A result's type is what its bytes prove, never its label (issue #16): through a download and through an inline
 * {@code data:} URL alike, an SVG, an HTML page and unknown bytes labelled {@code image/x-foo} or {@code application/pdf}
 * are no result at all, and a PNG labelled {@code text/html} is stored as {@code image/png}.
 */
class ResultContentTypeTest extends TheRouterWireMock {

    private static final byte[] PNG = TheRouterClientSubmitTest.PNG;
    private static final byte[] SVG = "<svg xmlns=\"http://www.w3.org/2000/svg\"><script>alert(1)</script></svg>"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] HTML = "<!doctype html><html><script>document.cookie</script></html>"
            .getBytes(StandardCharsets.UTF_8);
    private static final byte[] UNKNOWN = {0x25, 0x50, 0x44, 0x46, 0x2d, 0x31, 0x2e, 0x37, 1, 2, 3};

    private static final OriginGate OPEN = new OriginGate() {
        @Override
        public <T> Mono<T> call(UpstreamCall call, Mono<T> request) {
            return request;
        }
    };

    static Stream<Arguments> results() {
        return Stream.of(
                Arguments.of("an SVG", "image/svg+xml", SVG, null),
                Arguments.of("an HTML page", "text/html", HTML, null),
                Arguments.of("a PNG labelled text/html", "text/html", PNG, "image/png"),
                Arguments.of("unknown bytes labelled image/x-foo", "image/x-foo", UNKNOWN, null),
                Arguments.of("unknown bytes labelled application/pdf", "application/pdf", UNKNOWN, null));
    }

    @ParameterizedTest(name = "downloaded: {0}")
    @MethodSource("results")
    void throughADownload(String what, String label, byte[] bytes, String stored) {
        String id = "img_dl" + Math.abs(what.hashCode());
        // the result link and the job's /content serve the same bytes with the same label
        for (String path : List.of("/files/" + id, "/v1/jobs/" + id + "/content")) {
            upstream.stubFor(get(urlEqualTo(path)).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", label).withBody(bytes)));
        }
        expect(client.downloadResult(new UpstreamJob(id, "succeeded", "m", null, null,
                List.of(baseUrl() + "/files/" + id), null, null), OPEN), stored, bytes, "but no image");
    }

    @ParameterizedTest(name = "inline data: URL: {0}")
    @MethodSource("results")
    void throughADataUrl(String what, String label, byte[] bytes, String stored) {
        String id = "img_inline" + Math.abs(what.hashCode());
        // Only the inline result: the job's /content answers 404, so a refused inline result ends the download.
        upstream.stubFor(get(urlEqualTo("/v1/jobs/" + id + "/content")).willReturn(aResponse().withStatus(404)));
        String dataUrl = "data:" + label + ";base64," + Base64.getEncoder().encodeToString(bytes);
        expect(client.downloadResult(new UpstreamJob(id, "succeeded", "m", null, null, List.of(), dataUrl, null),
                OPEN), stored, bytes, "/content");
    }

    /** Stored as {@code stored}, or, when null, refused with an error naming {@code refusal}. */
    private static void expect(Mono<UpstreamImage> download, String stored, byte[] bytes, String refusal) {
        if (stored == null) {
            StepVerifier.create(download).expectErrorSatisfies(e -> assertThat(e).hasMessageContaining(refusal))
                    .verify();
        } else {
            StepVerifier.create(download).assertNext(image -> {
                assertThat(image.contentType()).isEqualTo(stored);
                assertThat(image.bytes()).isEqualTo(bytes);
            }).verifyComplete();
        }
    }
}
