package com.acme.imageedit;

import org.testcontainers.postgresql.PostgreSQLContainer;

/**
 * {@link TestPostgres} on a PostgreSQL 17 container (Testcontainers), started once per JVM and left to Testcontainers'
 * reaper at JVM exit. The server settings are the embedded server's, so both providers behave alike under load.
 */
final class ContainerPostgres17 implements TestPostgres {

    static final ContainerPostgres17 INSTANCE = new ContainerPostgres17();

    private PostgreSQLContainer container;

    private ContainerPostgres17() {
    }

    @Override
    public TestDatabase createDatabase() {
        PostgreSQLContainer postgres = container();
        String name = Names.next();
        TestPostgres.createDatabase(postgres.getJdbcUrl(), postgres.getUsername(), postgres.getPassword(), name);
        return new TestDatabase(postgres.getHost(), postgres.getMappedPort(PostgreSQLContainer.POSTGRESQL_PORT), name,
                postgres.getUsername(), postgres.getPassword());
    }

    private synchronized PostgreSQLContainer container() {
        if (container == null) {
            PostgreSQLContainer postgres = new PostgreSQLContainer("postgres:17-alpine")
                    .withCommand("postgres", "-c", "max_connections=300", "-c", "fsync=off",
                            "-c", "synchronous_commit=off", "-c", "full_page_writes=off");
            postgres.start();
            container = postgres;
        }
        return container;
    }
}
