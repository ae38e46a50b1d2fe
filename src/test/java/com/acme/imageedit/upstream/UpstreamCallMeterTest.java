package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.post;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.client.WireMock.urlPathEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

import com.acme.imageedit.system.SystemHostResolver;
import com.github.tomakehurst.wiremock.WireMockServer;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.test.StepVerifier;
import tools.jackson.databind.json.JsonMapper;

/**
 * {@code imageedit.upstream.calls} names each request by the call the client made, whatever its URL looks like, and by
 * the origin it went to: one test per kind.
 */
class UpstreamCallMeterTest extends TheRouterWireMock {

    private static final byte[] PNG = TheRouterClientSubmitTest.PNG;

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private WireMockServer storage;
    private TheRouterClient metered;

    @BeforeEach
    void meteredClient() {
        storage = new WireMockServer(wireMockConfig().dynamicPort());
        storage.start();
        TheRouterProperties properties = properties(baseUrl(), DataSize.ofMegabytes(1));
        metered = UpstreamConfiguration.createClient(
                WebClient.builder().filter(new UpstreamCallMeter(registry, properties::baseUrl)),
                properties::baseUrl, properties, JsonMapper.builder().build(), connections, new SystemHostResolver(),
                Clock.systemUTC());
    }

    @AfterEach
    void stopStorage() {
        storage.stop();
    }

    @Test
    void anEditSubmitIsSubmitEdit() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/edits")).willReturn(accepted()));

        StepVerifier.create(metered.submit(new UpstreamSubmission("qwen/qwen-image-edit", "p", PNG, "image/png", null,
                null, null, null))).expectNextCount(1).verifyComplete();

        assertThat(calls()).containsExactly(Map.entry("submit_edit therouter success", 1L));
    }

    @Test
    void aGenerationSubmitIsSubmitGenerationNotADownload() {
        upstream.stubFor(post(urlPathEqualTo("/v1/images/generations")).willReturn(accepted()));

        StepVerifier.create(metered.submitGeneration(new UpstreamSubmission("qwen/qwen-image-edit", "p", null, null,
                null, null, null, null))).expectNextCount(1).verifyComplete();

        assertThat(calls()).containsExactly(Map.entry("submit_generation therouter success", 1L));
    }

    @Test
    void aPollIsPollWhateverItsAnswer() {
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_1")).willReturn(aResponse().withStatus(200)
                .withHeader("Content-Type", "application/json").withBody("{\"id\":\"img_1\",\"status\":\"queued\"}")));
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_2")).willReturn(aResponse().withStatus(429)));

        StepVerifier.create(metered.poll("img_1")).expectNextCount(1).verifyComplete();
        StepVerifier.create(metered.poll("img_2")).expectError(UpstreamException.Retryable.class).verify();

        assertThat(calls()).containsExactly(Map.entry("poll therouter rate_limited", 1L),
                Map.entry("poll therouter success", 1L));
    }

    @Test
    void aDownloadIsDownloadByOriginHopByHop() {
        // /content on TheRouter's origin, a redirect to storage; a result URL that looks like a poll is still a download
        upstream.stubFor(get(urlEqualTo("/v1/jobs/img_3")).willReturn(aResponse().withStatus(302)
                .withHeader("Location", "http://localhost:" + storage.port() + "/b/img_3.png")));
        storage.stubFor(get(urlEqualTo("/b/img_3.png")).willReturn(aResponse().withStatus(200).withBody(PNG)));

        StepVerifier.create(metered.downloadResult(new UpstreamJob("img_3", "succeeded", "m", null, null,
                        List.of(baseUrl() + "/v1/jobs/img_3"), null, null), OriginGate.NONE))
                .expectNextCount(1).verifyComplete();

        assertThat(calls()).containsExactly(Map.entry("download other success", 1L),
                Map.entry("download therouter redirect", 1L));
    }

    private static com.github.tomakehurst.wiremock.client.ResponseDefinitionBuilder accepted() {
        return aResponse().withStatus(202).withHeader("Content-Type", "application/json")
                .withBody(TheRouterClientSubmitTest.ACCEPTED);
    }

    /** "kind origin outcome" → count, sorted. */
    private Map<String, Long> calls() {
        Map<String, Long> counts = new TreeMap<>();
        for (Timer timer : registry.find(UpstreamCallMeter.CALLS).timers()) {
            counts.put(timer.getId().getTag("kind") + " " + timer.getId().getTag("origin") + " "
                    + timer.getId().getTag("outcome"), timer.count());
        }
        return counts;
    }
}
