package com.acme.imageedit;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.client.ReactorResourceFactory;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * Extra service replicas for tests that need settings of their own (a slow budget, a quick breaker) without a new
 * cached test context: complete applications with their own web server and workers, started on a given database and
 * TheRouter, closed by the test.
 */
public final class Replicas implements AutoCloseable {

    private final List<ConfigurableApplicationContext> started = new ArrayList<>();

    /** A new, empty database on the test PostgreSQL server (embedded only; null where Testcontainers serves). */
    public static TestDatabaseConfiguration.EmbeddedDatabase freshDatabase() {
        return DatabaseChoice.useTestcontainers() ? null : EmbeddedPostgres17.createDatabase();
    }

    public ConfigurableApplicationContext start(R2dbcConnectionDetails r2dbc, FlywayConnectionDetails flyway,
                                                URI therouter, String workerId, String... args) {
        List<String> all = new ArrayList<>(List.of("--server.port=0", "--dispatch.worker-id=" + workerId,
                "--therouter.base-url=" + therouter, "--therouter.api-key=test"));
        all.addAll(List.of(args));
        ConfigurableApplicationContext context = new SpringApplicationBuilder(ImageEditProxyApplication.class)
                .profiles("test", "demo")
                .initializers(c -> {
                    c.getBeanFactory().registerSingleton("sharedR2dbc", r2dbc);
                    if (flyway != r2dbc) {
                        c.getBeanFactory().registerSingleton("sharedFlyway", flyway);
                    }
                    // Own Netty resources: closing it must not dispose the global ones the shared context runs on.
                    ((GenericApplicationContext) c).registerBean(ReactorResourceFactory.class, () -> {
                        ReactorResourceFactory resources = new ReactorResourceFactory();
                        resources.setUseGlobalResources(false);
                        return resources;
                    });
                })
                .run(all.toArray(String[]::new));
        started.add(context);
        return context;
    }

    /** A client of that replica's API with team demo-a's key. */
    public static WebClient client(ConfigurableApplicationContext context) {
        return WebClient.builder().baseUrl("http://localhost:" + port(context))
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer demo-a-key")
                .codecs(c -> c.defaultCodecs().maxInMemorySize(32 * 1024 * 1024)).build();
    }

    public static int port(ConfigurableApplicationContext context) {
        return ((WebServerApplicationContext) context).getWebServer().getPort();
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
    }
}
