package com.acme.imageedit.simulator;

import com.acme.imageedit.upstream.UpstreamAddress;
import org.springframework.boot.autoconfigure.condition.ConditionalOnProperty;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.context.annotation.Primary;
import org.springframework.context.annotation.Profile;

/**
 * Starts the fake TheRouter with the {@code simulator} profile, so that the whole flow runs with no key and no
 * internet. The server is bound while the bean is created, hence its port is known before any client needs it.
 */
@Configuration(proxyBeanMethods = false)
@Profile("simulator")
class SimulatorConfiguration {

    @Bean(destroyMethod = "close")
    TheRouterSimulator theRouterSimulator(SimulatorProperties properties) {
        return TheRouterSimulator.start(properties);
    }

    @Bean
    @Primary
    @ConditionalOnProperty(prefix = "simulator", name = "wire-as-upstream", havingValue = "true", matchIfMissing = true)
    UpstreamAddress simulatorUpstreamAddress(TheRouterSimulator simulator) {
        return simulator::baseUrl;
    }
}
