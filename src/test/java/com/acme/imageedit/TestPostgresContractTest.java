package com.acme.imageedit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.stream.Stream;

import io.r2dbc.spi.ConnectionFactories;
import io.r2dbc.spi.ConnectionFactory;
import org.flywaydb.core.Flyway;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;
import reactor.test.StepVerifier;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * What every {@link TestPostgres} provider promises the tests: each call gives a new, empty PostgreSQL 17 database that
 * nobody else gets, reachable both over R2DBC (the service) and JDBC (Flyway), on which the service's migrations run.
 * The embedded provider is checked on every build; the container provider where a Docker engine answers (this build
 * machine has none: README says so, and the skip below says why).
 */
class TestPostgresContractTest {

    static Stream<TestPostgres> providers() {
        return Stream.of(EmbeddedPostgres17.INSTANCE, ContainerPostgres17.INSTANCE);
    }

    @ParameterizedTest
    @MethodSource("providers")
    void everyDatabaseIsNewEmptyOwnAndMigratable(TestPostgres provider) throws SQLException {
        if (provider == ContainerPostgres17.INSTANCE) {
            Assumptions.assumeTrue(DatabaseChoice.dockerAvailable(),
                    "no Docker engine answers: the Testcontainers provider cannot be exercised on this machine");
        }
        TestDatabase first = provider.createDatabase();
        TestDatabase second = provider.createDatabase();
        assertThat(first.database()).isNotEqualTo(second.database());

        try (Connection a = jdbc(first); Connection b = jdbc(second)) {
            assertThat(scalar(a, "show server_version_num")).startsWith("17");
            assertThat(scalar(a, "select count(*) from pg_tables where schemaname = 'public'")).isEqualTo("0");
            try (Statement s = a.createStatement()) {
                s.execute("create table mine (id int)");
            }
            assertThat(scalar(b, "select count(*) from pg_tables where tablename = 'mine'")).isEqualTo("0");
        }

        Flyway.configure().dataSource(second.getJdbcUrl(), second.user(), second.password()).load().migrate();
        ConnectionFactory r2dbc = ConnectionFactories.get(second.getConnectionFactoryOptions());
        StepVerifier.create(Mono.usingWhen(r2dbc.create(),
                        c -> Flux.from(c.createStatement("select count(*) from jobs").execute())
                                .flatMap(result -> result.map((row, meta) -> row.get(0, Long.class))).single(),
                        c -> Mono.from(c.close())))
                .expectNext(0L)
                .verifyComplete();
    }

    private static Connection jdbc(TestDatabase database) throws SQLException {
        return DriverManager.getConnection(database.getJdbcUrl(), database.user(), database.password());
    }

    private static String scalar(Connection connection, String sql) throws SQLException {
        try (Statement s = connection.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
