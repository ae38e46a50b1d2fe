package com.acme.imageedit;

import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.context.annotation.Bean;

/**
 * The one source of PostgreSQL 17 for tests and for {@code ./mvnw spring-boot:test-run}: a fresh database from the
 * active {@link TestPostgres} provider (a Testcontainers container where a Docker engine answers, otherwise an
 * embedded PostgreSQL, one server per JVM). Each application context gets a database of its own, so that contexts
 * cached side by side never see each other's jobs. {@code -Dtest.database=embedded|testcontainers} overrides the
 * detection. The database is both the R2DBC and the Flyway connection (it implements both connection details).
 */
@TestConfiguration(proxyBeanMethods = false)
public class TestDatabaseConfiguration {

    @Bean
    TestDatabase testDatabase() {
        return TestPostgres.active().createDatabase();
    }
}
