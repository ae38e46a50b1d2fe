package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.equalTo;
import static com.github.tomakehurst.wiremock.client.WireMock.equalToJson;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.postRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static org.assertj.core.api.Assertions.assertThat;

import com.github.tomakehurst.wiremock.verification.LoggedRequest;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Generations go to TheRouter as its model page shows: JSON to /v1/images/generations?async=true. */
class TheRouterClientGenerationTest extends TheRouterWireMock {

    @Test
    void postsJsonWithOnlyTheSetFieldsAndParsesThe202() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/generations")).willReturn(aResponse().withStatus(202)
                .withHeader("Content-Type", "application/json").withBody(TheRouterClientSubmitTest.ACCEPTED)));

        StepVerifier.create(client.submitGeneration(new UpstreamSubmission("qwen/qwen-image",
                        "A cinematic product render", null, null, "1024x1024", 7L, null, null)))
                .assertNext(job -> assertThat(job.id()).isEqualTo("img_abc123"))
                .verifyComplete();

        upstream.verify(1, postRequestedFor(urlPathEqualTo("/v1/images/generations"))
                .withQueryParam("async", equalTo("true"))
                .withHeader("Authorization", equalTo("Bearer " + API_KEY))
                .withHeader("Content-Type", equalTo("application/json"))
                .withRequestBody(equalToJson("""
                        {"model":"qwen/qwen-image","prompt":"A cinematic product render","size":"1024x1024",
                         "seed":7}""")));
        LoggedRequest sent = upstream.getAllServeEvents().get(0).getRequest();
        assertThat(sent.getHeader("Content-Length")).isEqualTo(Integer.toString(sent.getBody().length));
        assertThat(sent.containsHeader("Transfer-Encoding")).isFalse();
    }

    @Test
    void aRefusalIsTypedLikeAnEditsOne() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/generations")).willReturn(aResponse().withStatus(400)
                .withHeader("Content-Type", "application/json")
                .withBody("{\"error\":{\"code\":400,\"type\":\"invalid_request_error\",\"message\":\"bad prompt\"}}")));

        StepVerifier.create(client.submitGeneration(new UpstreamSubmission("qwen/qwen-image", "x", null, null, null,
                        null, null, null)))
                .expectError(UpstreamException.Rejected.class)
                .verify();
    }
}
