package com.acme.imageedit;

import java.time.Duration;

import com.acme.imageedit.simulator.TheRouterSimulator;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Import;
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
@ActiveProfiles({"test", "simulator"})
public abstract class IntegrationTest {

    @LocalServerPort
    protected int port;

    @Autowired
    protected TheRouterSimulator simulator;

    @Autowired
    protected DatabaseClient db;

    protected String baseUrl() {
        return "http://localhost:" + port;
    }

    protected WebTestClient http() {
        return WebTestClient.bindToServer().baseUrl(baseUrl()).responseTimeout(Duration.ofSeconds(30)).build();
    }

    protected WebClient webClient() {
        return WebClient.builder().baseUrl(baseUrl())
                .codecs(c -> c.defaultCodecs().maxInMemorySize(32 * 1024 * 1024)).build();
    }

    protected long count(String sql) {
        return db.sql(sql).map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10));
    }
}
