package com.acme.imageedit;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * The tests' PostgreSQL 17 server: one per JVM, started on first use, from whichever provider is active (a
 * Testcontainers container where a Docker engine answers, otherwise an embedded server; {@link DatabaseChoice}).
 * Every place that needs a database (the shared test context, extra replicas, {@code spring-boot:test-run}) asks
 * {@link #active()} for a fresh one, so both providers serve every test alike. {@code TestPostgresContractTest} holds
 * each provider to this contract.
 */
public interface TestPostgres {

    /** The provider this JVM uses. */
    static TestPostgres active() {
        return DatabaseChoice.useTestcontainers() ? ContainerPostgres17.INSTANCE : EmbeddedPostgres17.INSTANCE;
    }

    /** A new, empty database that no other caller gets, on this provider's server (started if need be). */
    TestDatabase createDatabase();

    /** Creates the database {@code name} on a server through a superuser's JDBC URL; shared by the providers. */
    static void createDatabase(String adminJdbcUrl, String user, String password, String name) {
        try (Connection connection = DriverManager.getConnection(adminJdbcUrl, user, password);
             Statement statement = connection.createStatement()) {
            statement.execute("create database " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("Could not create test database " + name, e);
        }
    }

    /** Database names unique in this JVM and across JVMs sharing a server. */
    final class Names {

        private static final AtomicInteger NEXT = new AtomicInteger();

        private Names() {
        }

        static String next() {
            return "imageedit_" + ProcessHandle.current().pid() + "_" + NEXT.incrementAndGet();
        }
    }
}
