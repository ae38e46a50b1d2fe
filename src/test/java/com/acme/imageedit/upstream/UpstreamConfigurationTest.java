package com.acme.imageedit.upstream;

import static com.github.tomakehurst.wiremock.client.WireMock.aResponse;
import static com.github.tomakehurst.wiremock.client.WireMock.get;
import static com.github.tomakehurst.wiremock.client.WireMock.urlEqualTo;
import static com.github.tomakehurst.wiremock.core.WireMockConfiguration.wireMockConfig;
import static org.assertj.core.api.Assertions.assertThat;

import java.net.URI;
import java.time.Duration;

import com.github.tomakehurst.wiremock.WireMockServer;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Configuration;
import org.springframework.util.unit.DataSize;
import reactor.test.StepVerifier;

/** The wiring without the rest of the application: defaults, binding, and the simulator's @Primary address. */
class UpstreamConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withUserConfiguration(EnableProperties.class, UpstreamConfiguration.class);

    @Test
    void defaults() {
        runner.run(context -> {
            TheRouterProperties p = context.getBean(TheRouterProperties.class);
            assertThat(p.baseUrl()).isEqualTo(URI.create("https://api.therouter.ai"));
            assertThat(p.hasApiKey()).isFalse();
            assertThat(p.connectTimeout()).isEqualTo(Duration.ofSeconds(5));
            assertThat(p.responseTimeout()).isEqualTo(Duration.ofSeconds(30));
            assertThat(p.downloadTimeout()).isEqualTo(Duration.ofSeconds(60));
            assertThat(p.maxResultSize()).isEqualTo(DataSize.ofMegabytes(20));
            assertThat(context).hasSingleBean(TheRouterClient.class);
            assertThat(context.getBean(UpstreamAddress.class).baseUrl()).isEqualTo(p.baseUrl());
        });
    }

    @Test
    void bindsAndKeepsTheKeyOutOfToString() {
        runner.withPropertyValues("therouter.base-url=http://localhost:1", "therouter.api-key=sk-secret",
                "therouter.response-timeout=2s", "therouter.max-result-size=5MB").run(context -> {
                    TheRouterProperties p = context.getBean(TheRouterProperties.class);
                    assertThat(p.apiKey()).isEqualTo("sk-secret");
                    assertThat(p.responseTimeout()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(p.maxResultSize()).isEqualTo(DataSize.ofMegabytes(5));
                    assertThat(p.toString()).doesNotContain("sk-secret");
                });
    }

    @Test
    void primaryAddressWins() {
        WireMockServer simulator = new WireMockServer(wireMockConfig().dynamicPort());
        simulator.start();
        try {
            simulator.stubFor(get(urlEqualTo("/v1/jobs/sim")).willReturn(aResponse().withStatus(200)
                    .withBody("{\"id\":\"sim\",\"status\":\"in_progress\"}")));
            runner.withBean("simulatorAddress", UpstreamAddress.class,
                            () -> () -> URI.create("http://localhost:" + simulator.port()),
                            bd -> bd.setPrimary(true))
                    .run(context -> StepVerifier.create(context.getBean(TheRouterClient.class).poll("sim"))
                            .assertNext(job -> assertThat(job.status()).isEqualTo("in_progress"))
                            .verifyComplete());
        } finally {
            simulator.stop();
        }
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(TheRouterProperties.class)
    static class EnableProperties {
    }
}
