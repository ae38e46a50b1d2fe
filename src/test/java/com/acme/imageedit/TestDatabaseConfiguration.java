package com.acme.imageedit;

import io.r2dbc.spi.ConnectionFactoryOptions;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;
import org.springframework.boot.test.context.TestConfiguration;
import org.springframework.boot.testcontainers.service.connection.ServiceConnection;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Condition;
import org.springframework.context.annotation.ConditionContext;
import org.springframework.context.annotation.Conditional;
import org.springframework.core.type.AnnotatedTypeMetadata;
import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * The one source of PostgreSQL 17 for tests and for {@code ./mvnw spring-boot:test-run}: a Testcontainers container
 * where a Docker engine answers, otherwise an embedded PostgreSQL (zonky) started once per JVM. Each application
 * context gets a database of its own, so that contexts cached side by side never see each other's jobs.
 * {@code -Dtest.database=embedded|testcontainers} overrides the detection.
 */
@TestConfiguration(proxyBeanMethods = false)
public class TestDatabaseConfiguration {

    @Bean
    @ServiceConnection
    @Conditional(DockerAvailable.class)
    PostgreSQLContainer postgresContainer() {
        return new PostgreSQLContainer("postgres:17-alpine");
    }

    @Bean
    @Conditional(DockerUnavailable.class)
    EmbeddedDatabase embeddedDatabase() {
        return EmbeddedPostgres17.createDatabase();
    }

    /** Connection details of a fresh database on the embedded server, for both R2DBC and Flyway. */
    public record EmbeddedDatabase(String host, int port, String database, String user, String password)
            implements R2dbcConnectionDetails, FlywayConnectionDetails {

        @Override
        public ConnectionFactoryOptions getConnectionFactoryOptions() {
            return ConnectionFactoryOptions.parse(r2dbcUrl()).mutate()
                    .option(ConnectionFactoryOptions.USER, user)
                    .option(ConnectionFactoryOptions.PASSWORD, password)
                    .build();
        }

        @Override
        public String getJdbcUrl() {
            return "jdbc:postgresql://" + host + ":" + port + "/" + database;
        }

        @Override
        public String getUsername() {
            return user;
        }

        @Override
        public String getPassword() {
            return password;
        }

        public String r2dbcUrl() {
            return "r2dbc:postgresql://" + host + ":" + port + "/" + database;
        }
    }

    static final class DockerAvailable implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return DatabaseChoice.useTestcontainers();
        }
    }

    static final class DockerUnavailable implements Condition {
        @Override
        public boolean matches(ConditionContext context, AnnotatedTypeMetadata metadata) {
            return !DatabaseChoice.useTestcontainers();
        }
    }
}
