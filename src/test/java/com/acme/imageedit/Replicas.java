package com.acme.imageedit;

import java.net.URI;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import org.springframework.boot.builder.SpringApplicationBuilder;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.boot.web.server.context.WebServerApplicationContext;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.context.support.GenericApplicationContext;
import org.springframework.core.env.StandardEnvironment;
import org.springframework.core.env.SystemEnvironmentPropertySource;
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

    /** A new, empty database on the tests' PostgreSQL server, whichever provider serves it. */
    public static TestDatabase freshDatabase() {
        return TestPostgres.active().createDatabase();
    }

    public ConfigurableApplicationContext start(R2dbcConnectionDetails r2dbc, FlywayConnectionDetails flyway,
                                                URI therouter, String workerId, String... args) {
        return start(r2dbc, flyway, therouter, workerId, Map.of(), args);
    }

    /** The same, with {@code beans} registered before the context starts (a test's clock, say) in place of the own. */
    public ConfigurableApplicationContext start(R2dbcConnectionDetails r2dbc, FlywayConnectionDetails flyway,
                                                URI therouter, String workerId, Map<String, Object> beans,
                                                String... args) {
        List<String> all = new ArrayList<>(List.of("--server.port=0", "--management.server.port=0",
                "--dispatch.worker-id=" + workerId,
                "--therouter.base-url=" + therouter, "--therouter.api-key=test"));
        all.addAll(List.of(args));
        return run(new SpringApplicationBuilder(ImageEditProxyApplication.class)
                .profiles("test", "demo")
                .initializers(c -> {
                    c.getBeanFactory().registerSingleton("sharedR2dbc", r2dbc);
                    if (flyway != r2dbc) {
                        c.getBeanFactory().registerSingleton("sharedFlyway", flyway);
                    }
                    beans.forEach(c.getBeanFactory()::registerSingleton);
                }), all);
    }

    /**
     * A replica configured only the way a deployment configures it: {@code environment} stands in for the process
     * environment (relaxed binding, as in a container: {@code JOBS_PUBLICBASEURL}, {@code SPRING_PROFILES_ACTIVE}),
     * with no test profile and none of the test JVM's own environment variables; {@code args} may move ports.
     */
    public ConfigurableApplicationContext startWithEnvironment(Map<String, String> environment, String... args) {
        StandardEnvironment deployed = new StandardEnvironment();
        // Not under the name "systemEnvironment": the management port's child context builds its own environment with
        // the real one under that name and merges the parent's other sources, which must include this one. The suffix
        // "-systemEnvironment" keeps Boot's relaxed binding of variable names (JOBS_PUBLICBASEURL) for it.
        deployed.getPropertySources().remove(StandardEnvironment.SYSTEM_ENVIRONMENT_PROPERTY_SOURCE_NAME);
        deployed.getPropertySources().addFirst(
                new SystemEnvironmentPropertySource("deployment-systemEnvironment", Map.copyOf(environment)));
        return run(new SpringApplicationBuilder(ImageEditProxyApplication.class).environment(deployed),
                List.of(args));
    }

    private ConfigurableApplicationContext run(SpringApplicationBuilder builder, List<String> args) {
        ConfigurableApplicationContext context = builder
                // Own Netty resources: closing it must not dispose the global ones the shared context runs on.
                .initializers(c -> ((GenericApplicationContext) c).registerBean(ReactorResourceFactory.class, () -> {
                    ReactorResourceFactory resources = new ReactorResourceFactory();
                    resources.setUseGlobalResources(false);
                    return resources;
                }))
                .run(args.toArray(String[]::new));
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

    /** The replica's management port (health, metrics), which the API port does not serve. */
    public static int managementPort(ConfigurableApplicationContext context) {
        return context.getEnvironment().getRequiredProperty("local.management.port", Integer.class);
    }

    /** A client of that replica's management port. */
    public static WebClient managementClient(ConfigurableApplicationContext context) {
        return WebClient.builder().baseUrl("http://localhost:" + managementPort(context)).build();
    }

    @Override
    public void close() {
        for (int i = started.size() - 1; i >= 0; i--) {
            started.get(i).close();
        }
        started.clear();
    }
}
