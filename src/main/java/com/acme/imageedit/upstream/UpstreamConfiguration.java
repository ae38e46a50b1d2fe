package com.acme.imageedit.upstream;

import java.time.Clock;

import com.acme.imageedit.system.HostResolver;
import com.acme.imageedit.system.SystemHostResolver;
import io.micrometer.core.instrument.MeterRegistry;
import io.netty.channel.ChannelOption;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.http.client.reactive.ReactorClientHttpConnector;
import org.springframework.web.reactive.function.client.WebClient;
import reactor.netty.http.client.HttpClient;
import reactor.netty.resources.ConnectionProvider;
import tools.jackson.databind.ObjectMapper;
import tools.jackson.databind.json.JsonMapper;

/** Wires the TheRouter client. The simulator may add a {@code @Primary} {@link UpstreamAddress}, which then wins. */
@Configuration(proxyBeanMethods = false)
class UpstreamConfiguration {

    @Bean
    UpstreamAddress theRouterAddress(TheRouterProperties properties) {
        return properties::baseUrl;
    }

    @Bean
    TheRouterConnections theRouterConnections() {
        return new TheRouterConnections();
    }

    /**
     * Boot 4 only auto-configures a {@code WebClient.Builder} when spring-boot-webclient is on the classpath, so one
     * is used when present (to keep its customizers and observation) and a plain builder otherwise.
     */
    @Bean
    TheRouterClient theRouterClient(ObjectProvider<WebClient.Builder> builders, UpstreamAddress address,
            TheRouterProperties properties, ObjectProvider<ObjectMapper> mappers, TheRouterConnections connections,
            ObjectProvider<MeterRegistry> registries, ObjectProvider<HostResolver> resolvers) {
        WebClient.Builder builder = builders.getIfUnique(WebClient::builder).clone();
        // Upstream calls by kind, outcome and origin (docs/metrics.md); absent only in slices without a registry.
        registries.ifUnique(registry -> builder.filter(new UpstreamCallMeter(registry, address)));
        ObjectMapper mapper = mappers.getIfUnique(() -> JsonMapper.builder().build());
        // The JVM's resolver, as the webhook guard uses it; absent only in slices that wire this configuration alone.
        HostResolver resolver = resolvers.getIfUnique(SystemHostResolver::new);
        return createClient(builder, address, properties, mapper, connections.provider(), resolver, Clock.systemUTC());
    }

    /**
     * Also the tests' entry point, so that they exercise the same timeouts, limits and address policy as production.
     * Every connection the client opens is judged by the {@link AddressGuard}, which resolves names with
     * {@code resolver}.
     */
    static TheRouterClient createClient(WebClient.Builder builder, UpstreamAddress address,
            TheRouterProperties properties, ObjectMapper mapper, ConnectionProvider provider, HostResolver resolver,
            Clock clock) {
        HttpClient httpClient = HttpClient.create(provider)
                .resolver(new AddressGuard(address, resolver))
                .option(ChannelOption.CONNECT_TIMEOUT_MILLIS, Math.toIntExact(properties.connectTimeout().toMillis()))
                .responseTimeout(properties.responseTimeout());
        WebClient webClient = builder.clone()
                .clientConnector(new ReactorClientHttpConnector(httpClient))
                // Inline base64 results make a poll answer up to 4/3 of the image size.
                .codecs(codecs -> codecs.defaultCodecs().maxInMemorySize(TheRouterClient.jsonBodyLimit(properties)))
                .build();
        return new TheRouterClient(webClient, address, properties, mapper, clock);
    }
}
