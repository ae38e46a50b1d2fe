package com.acme.imageedit.simulator;

import static org.assertj.core.api.Assertions.assertThat;

import com.acme.imageedit.upstream.UpstreamAddress;
import java.net.URI;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.springframework.boot.context.properties.EnableConfigurationProperties;
import org.springframework.boot.test.context.runner.ApplicationContextRunner;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.test.StepVerifier;

class SimulatorConfigurationTest {

    private final ApplicationContextRunner runner = new ApplicationContextRunner()
            .withInitializer(context -> context.getEnvironment().setActiveProfiles("simulator"))
            .withUserConfiguration(PropertiesRegistration.class, SimulatorConfiguration.class);

    @Test
    void bindsThePropertiesAndWiresTheSimulatorAsThePrimaryUpstream() {
        runner.withUserConfiguration(RealUpstream.class)
                .withPropertyValues("simulator.time-scale=0.01", "simulator.api-key=k",
                        "simulator.duration.distribution=lognormal", "simulator.duration.median=90s",
                        "simulator.failures.job-failed-rate=0.2", "simulator.rate-limit-per-second=2.5",
                        "simulator.iso-timestamp-rate=1")
                .run(context -> {
                    assertThat(context).hasNotFailed();
                    SimulatorProperties properties = context.getBean(SimulatorProperties.class);
                    assertThat(properties.timeScale()).isEqualTo(0.01);
                    assertThat(properties.duration().lognormal()).isTrue();
                    assertThat(properties.duration().median()).isEqualTo(Duration.ofSeconds(90));
                    assertThat(properties.duration().min()).isEqualTo(Duration.ofSeconds(30));
                    assertThat(properties.duration().queuedFor()).isEqualTo(Duration.ofSeconds(2));
                    assertThat(properties.host()).isEqualTo("127.0.0.1");
                    assertThat(properties.wireAsUpstream()).isTrue();

                    TheRouterSimulator simulator = context.getBean(TheRouterSimulator.class);
                    assertThat(simulator.faults().jobFailedRate()).isEqualTo(0.2);
                    assertThat(simulator.faults().effectiveBurst()).isEqualTo(3);
                    assertThat(simulator.baseUrl().getPort()).isPositive();
                    assertThat(context.getBean(UpstreamAddress.class).baseUrl()).isEqualTo(simulator.baseUrl());
                });
    }

    @Test
    void leavesTheUpstreamAloneWhenNotWired() {
        runner.withPropertyValues("simulator.wire-as-upstream=false")
                .run(context -> {
                    assertThat(context).hasSingleBean(TheRouterSimulator.class);
                    assertThat(context).doesNotHaveBean(UpstreamAddress.class);
                });
    }

    @Test
    void isAbsentWithoutTheProfile() {
        new ApplicationContextRunner()
                .withUserConfiguration(PropertiesRegistration.class, SimulatorConfiguration.class)
                .run(context -> assertThat(context).doesNotHaveBean(TheRouterSimulator.class));
    }

    @Test
    void refusesAnImpossibleFailureMix() {
        runner.withPropertyValues("simulator.failures.job-failed-rate=0.7", "simulator.failures.job-expired-rate=0.7")
                .run(context -> {
                    assertThat(context).hasFailed();
                    assertThat(context.getStartupFailure()).rootCause()
                            .hasMessageContaining("jobFailedRate + jobExpiredRate must not exceed 1");
                });
    }

    @Test
    void stopsTheServerWhenTheContextCloses() {
        URI[] base = new URI[1];
        runner.run(context -> base[0] = context.getBean(TheRouterSimulator.class).baseUrl());

        StepVerifier.create(WebClient.create(base[0].toString()).get().uri("/simulator/stats")
                        .retrieve().bodyToMono(String.class))
                .expectError()
                .verify(Duration.ofSeconds(10));
    }

    @Configuration(proxyBeanMethods = false)
    @EnableConfigurationProperties(SimulatorProperties.class)
    static class PropertiesRegistration {
    }

    @Configuration(proxyBeanMethods = false)
    static class RealUpstream {

        @Bean
        UpstreamAddress realUpstream() {
            return () -> URI.create("https://api.therouter.ai");
        }
    }
}
