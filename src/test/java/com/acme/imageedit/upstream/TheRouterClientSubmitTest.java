package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aMultipart;
import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.absent;
import static com.github.tomakehurst.wiremock.client.WireMock.binaryEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.containing;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Instant;
import java.util.Map;
import java.util.stream.Collectors;

import com.github.tomakehurst.wiremock.http.Request;
import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import reactor.test.StepVerifier;

class TheRouterClientSubmitTest extends TheRouterWireMock {

    static final byte[] PNG = { (byte) 0x89, 'P', 'N', 'G', '\r', '\n', 0x1A, '\n', 1, 2, 3, 4 };
    static final byte[] JPEG = { (byte) 0xFF, (byte) 0xD8, (byte) 0xFF, (byte) 0xE0, 9, 9 };

    static final String ACCEPTED = """
            {"id":"img_abc123","object":"image_job","status":"queued","model":"qwen/qwen-image-edit",
             "created_at":1778637249,"polling_url":"https://api.therouter.ai/v1/jobs/img_abc123",
             "expires_at":1779242049}""";

    private static UpstreamSubmission full() {
        return new UpstreamSubmission("qwen/qwen-image-edit", "Turn this into a watercolor", PNG, "image/png",
                "1024x1024", 42L, 4.0, 30);
    }

    @Test
    void sendsExactMultipartAndBearerAndParses202WithUnixTimestamps() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(202)
                .withHeader("Content-Type", "application/json").withHeader("x-request-id", "req-1").withBody(ACCEPTED)));

        StepVerifier.create(client.submit(full()))
                .assertNext(job -> {
                    assertThat(job.id()).isEqualTo("img_abc123");
                    assertThat(job.status()).isEqualTo("queued");
                    assertThat(job.model()).isEqualTo("qwen/qwen-image-edit");
                    assertThat(job.createdAt()).isEqualTo(Instant.ofEpochSecond(1778637249));
                    assertThat(job.expiresAt()).isEqualTo(Instant.ofEpochSecond(1779242049));
                    assertThat(job.resultUrls()).isEmpty();
                    assertThat(job.isTerminal()).isFalse();
                })
                .verifyComplete();

        upstream.verify(1, postRequestedFor(urlPathEqualTo("/v1/images/edits"))
                .withQueryParam("async", equalTo("true"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY))
                .withHeader("Accept", equalTo("application/json"))
                .withHeader("Content-Type", containing("multipart/form-data"))
                .withRequestBodyPart(aMultipart().withName("image")
                        .withHeader("Content-Type", equalTo("image/png"))
                        .withHeader("Content-Disposition", containing("filename=\"image.png\""))
                        .withBody(binaryEqualTo(PNG)).build()));

        // The body is whole in memory: it goes out with its length, never chunked (gateways may answer 411).
        LoggedRequest sent = onlyRequest();
        assertThat(sent.getHeader("Content-Length")).isEqualTo(Integer.toString(sent.getBody().length));
        assertThat(sent.containsHeader("Transfer-Encoding")).isFalse();

        Map<String, String> fields = textParts(sent);
        assertThat(fields).containsOnlyKeys("model", "prompt", "image", "size", "seed", "cfg", "num_inference_steps");
        assertThat(fields).containsEntry("model", "qwen/qwen-image-edit")
                .containsEntry("prompt", "Turn this into a watercolor")
                .containsEntry("size", "1024x1024")
                .containsEntry("seed", "42")
                .containsEntry("cfg", "4")
                .containsEntry("num_inference_steps", "30");
    }

    @Test
    void omitsUnsetOptionalFieldsAndNamesJpegUpload() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(202)
                .withHeader("Content-Type", "application/json").withBody(ACCEPTED)));

        StepVerifier.create(client.submit(
                        new UpstreamSubmission("m", "p", JPEG, "image/jpeg", null, null, 7.5, null)))
                .expectNextCount(1)
                .verifyComplete();

        upstream.verify(postRequestedFor(urlPathEqualTo("/v1/images/edits")).withRequestBodyPart(aMultipart()
                .withName("image").withHeader("Content-Type", equalTo("image/jpeg"))
                .withHeader("Content-Disposition", containing("filename=\"image.jpg\"")).build()));
        assertThat(textParts(onlyRequest())).containsOnlyKeys("model", "prompt", "image", "cfg")
                .containsEntry("cfg", "7.5");
    }

    @Test
    void sendsNoAuthorizationWhenKeyIsBlank() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(202)
                .withHeader("Content-Type", "application/json").withBody(ACCEPTED)));
        TheRouterProperties p = properties(baseUrl(), DataSize.ofMegabytes(1));
        TheRouterClient keyless = client(new TheRouterProperties(p.baseUrl(), " ", p.connectTimeout(),
                p.responseTimeout(), p.downloadTimeout(), p.maxResultSize()));

        StepVerifier.create(keyless.submit(full())).expectNextCount(1).verifyComplete();

        upstream.verify(postRequestedFor(urlPathEqualTo("/v1/images/edits")).withHeader("Authorization", absent()));
    }

    @Test
    void acceptedIdWithoutStatusIsStillAJob() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(202)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":\"img_x\"}")));

        StepVerifier.create(client.submit(full()))
                .assertNext(job -> assertThat(job.status()).isEqualTo("queued"))
                .verifyComplete();
    }

    @Test
    void accepted2xxWithoutIdIsOutcomeUnknown() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(202)
                .withHeader("x-request-id", "req-9").withBody("<html>gateway says hi</html>")));

        StepVerifier.create(client.submit(full()))
                .expectErrorSatisfies(e -> assertThat(e).isInstanceOf(UpstreamException.OutcomeUnknown.class)
                        .hasMessageContaining("req-9"))
                .verify();
    }

    @Test
    void submit404IsRejectedNotNotFound() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(aResponse().withStatus(404)
                .withBody("{\"error\":{\"code\":404,\"type\":\"not_found\",\"message\":\"no such model\"}}")));

        StepVerifier.create(client.submit(full()))
                .expectErrorSatisfies(e -> {
                    assertThat(e).isInstanceOf(UpstreamException.Rejected.class);
                    assertThat(((UpstreamException) e).httpStatus()).isEqualTo(404);
                    assertThat(((UpstreamException) e).error().message()).isEqualTo("no such model");
                })
                .verify();
    }

    private static LoggedRequest onlyRequest() {
        var requests = upstream.findAll(postRequestedFor(urlPathEqualTo("/v1/images/edits")));
        assertThat(requests).hasSize(1);
        return requests.get(0);
    }

    private static Map<String, String> textParts(LoggedRequest request) {
        return request.getParts().stream()
                .collect(Collectors.toMap(Request.Part::getName, part -> part.getBody().asString(), (a, b) -> a));
    }

}
