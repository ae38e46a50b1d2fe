package com.acme.imageedit;

import io.r2dbc.spi.ConnectionFactoryOptions;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.R2dbcConnectionDetails;

/**
 * One empty database on the tests' PostgreSQL 17 server, as connection details for both R2DBC and Flyway: what every
 * {@link TestPostgres} provider hands out, so that a test never needs to know which provider is active.
 */
public record TestDatabase(String host, int port, String database, String user, String password)
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
