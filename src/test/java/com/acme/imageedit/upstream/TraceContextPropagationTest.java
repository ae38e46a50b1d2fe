package com.acme.imageedit.upstream;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;

import com.acme.imageedit.system.SystemHostResolver;
import com.acme.imageedit.IntegrationTest;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.getRequestedFor;
import static com.github.tomakehurst.wiremock.client.WireMock.matching;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

/**
 * TheRouter gets W3C trace context: the client is built from the application's WebClient.Builder (Boot's, with
 * observation and tracing), as UpstreamConfiguration builds the production client, so a request id in TheRouter's
 * logs can be joined to ours by trace id.
 */
class TraceContextPropagationTest extends IntegrationTest {

    @Autowired
    WebClient.Builder applicationBuilder;

    @Test
    void callsToTheRouterCarryATraceparentHeader() {
        WireMockServer upstream = new WireMockServer(wireMockConfig().dynamicPort());
        upstream.start();
        ConnectionProvider connections = ConnectionProvider.create("trace-test", 2);
        try {
            upstream.stubFor(get(urlEqualTo("/v1/jobs/img_trace")).willReturn(aResponse().withStatus(200)
                    .withHeader("Content-Type", "application/json")
                    .withBody("{\"id\":\"img_trace\",\"status\":\"in_progress\"}")));
            URI base = URI.create("http://localhost:" + upstream.port());
            TheRouterProperties properties = new TheRouterProperties(base, "sk-test", Duration.ofSeconds(1),
                    Duration.ofSeconds(2), Duration.ofSeconds(2), DataSize.ofMegabytes(1));
            TheRouterClient client = UpstreamConfiguration.createClient(applicationBuilder, properties::baseUrl,
                    properties, JsonMapper.builder().build(), connections, new SystemHostResolver(), Clock.systemUTC());

            client.poll("img_trace").block(Duration.ofSeconds(5));

            upstream.verify(getRequestedFor(urlEqualTo("/v1/jobs/img_trace"))
                    .withHeader("traceparent", matching("00-[0-9a-f]{32}-[0-9a-f]{16}-0[01]")));
        } finally {
            connections.dispose();
            upstream.stop();
        }
    }
}
