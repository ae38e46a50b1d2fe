package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;

import java.net.URI;
import java.time.Clock;
import java.time.Duration;

import com.acme.imageedit.system.SystemHostResolver;
import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.springframework.util.unit.DataSize;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.json.JsonMapper;

/** A WireMock "TheRouter" per test class, and a client wired exactly as production wires it, with short timeouts. */
abstract class TheRouterWireMock {

    static final String API_KEY = "sk-test-123";
    // Generous enough for a loaded CI machine; the timeout tests delay responses by a multiple of it.
    static final Duration RESPONSE_TIMEOUT = Duration.ofMillis(1500);

    static WireMockServer upstream;
    static ConnectionProvider connections;

    TheRouterClient client;

    @BeforeAll
    static void startUpstream() {
        upstream = new WireMockServer(wireMockConfig().dynamicPort());
        upstream.start();
        connections = ConnectionProvider.create("therouter-test", 20);
    }

    @AfterAll
    static void stopUpstream() {
        connections.dispose();
        upstream.stop();
    }

    @BeforeEach
    void resetUpstream() {
        upstream.resetAll();
        client = client(properties(baseUrl(), DataSize.ofMegabytes(1)));
    }

    static URI baseUrl() {
        return URI.create("http://localhost:" + upstream.port());
    }

    static TheRouterProperties properties(URI baseUrl, DataSize maxResultSize) {
        return new TheRouterProperties(baseUrl, API_KEY, Duration.ofSeconds(1), RESPONSE_TIMEOUT,
                Duration.ofSeconds(2), maxResultSize);
    }

    static TheRouterClient client(TheRouterProperties properties) {
        return UpstreamConfiguration.createClient(WebClient.builder(), properties::baseUrl, properties,
                JsonMapper.builder().build(), connections, new SystemHostResolver(), Clock.systemUTC());
    }
}
