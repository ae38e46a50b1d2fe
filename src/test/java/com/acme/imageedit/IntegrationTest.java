package com.acme.imageedit;

import java.time.Duration;

import com.acme.imageedit.simulator.TheRouterSimulator;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalManagementPort;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
import org.springframework.http.HttpHeaders;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.test.context.ActiveProfiles;
import org.springframework.test.web.reactive.server.WebTestClient;
import org.springframework.web.reactive.function.client.WebClient;

/**
 * The one application context most tests share (Spring caches it): the whole service on a random port, its own
 * PostgreSQL database, and the simulator as TheRouter, time-scaled so a job takes about a second.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@Import(TestDatabaseConfiguration.class)
@ActiveProfiles({"test", "simulator", "demo"})
public abstract class IntegrationTest {

    @LocalServerPort
    protected int port;

    /** Health and metrics are served here, not on the API port. */
    @LocalManagementPort
    protected int managementPort;

    @Autowired
    protected TheRouterSimulator simulator;

    @Autowired
    protected DatabaseClient db;

    protected String baseUrl() {
        return "http://localhost:" + port;
    }

    /** Team demo-a's key, which {@link #http()} and {@link #webClient()} send unless told otherwise. */
    protected static final String TEAM_A_KEY = "demo-a-key";
    protected static final String TEAM_B_KEY = "demo-b-key";
    protected static final String ADMIN_KEY = "demo-admin-key";

    protected WebTestClient http() {
        return http(TEAM_A_KEY);
    }

    /** A client sending {@code key} as its bearer key, or no key at all when {@code key} is null. */
    protected WebTestClient http(String key) {
        WebTestClient.Builder builder = WebTestClient.bindToServer().baseUrl(baseUrl())
                .responseTimeout(Duration.ofSeconds(30));
        if (key != null) {
            builder.defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key);
        }
        return builder.build();
    }

    /** A client of the management port (health, info, prometheus), which asks for no key. */
    protected WebTestClient management() {
        return WebTestClient.bindToServer().baseUrl("http://localhost:" + managementPort)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(16 * 1024 * 1024))
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    protected WebClient webClient() {
        return webClient(TEAM_A_KEY);
    }

    protected WebClient webClient(String key) {
        return WebClient.builder().baseUrl(baseUrl())
                .defaultHeader(HttpHeaders.AUTHORIZATION, "Bearer " + key)
                .codecs(c -> c.defaultCodecs().maxInMemorySize(32 * 1024 * 1024)).build();
    }

    protected long count(String sql) {
        return db.sql(sql).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }
}
