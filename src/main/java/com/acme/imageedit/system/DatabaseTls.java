package com.acme.imageedit.system;

import io.r2dbc.postgresql.PostgresqlConnectionFactoryProvider;
import org.flywaydb.core.api.configuration.FluentConfiguration;
import org.springframework.beans.factory.ObjectProvider;
import org.springframework.boot.flyway.autoconfigure.FlywayConfigurationCustomizer;
import org.springframework.boot.flyway.autoconfigure.FlywayConnectionDetails;
import org.springframework.boot.r2dbc.autoconfigure.ConnectionFactoryOptionsBuilderCustomizer;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;
import org.springframework.web.util.UriComponentsBuilder;

/**
 * Puts {@link DatabaseTlsProperties} on both database connections: the R2DBC options of the service's pool, and the
 * JDBC URL Flyway migrates over ({@code sslmode}, {@code sslrootcert}), so that one setting secures both.
 */
@Configuration(proxyBeanMethods = false)
class DatabaseTls {

    @Bean
    ConnectionFactoryOptionsBuilderCustomizer databaseTlsForR2dbc(DatabaseTlsProperties tls) {
        return options -> {
            options.option(PostgresqlConnectionFactoryProvider.SSL_MODE, tls.mode().r2dbc());
            if (tls.rootCert() != null) {
                options.option(PostgresqlConnectionFactoryProvider.SSL_ROOT_CERT, tls.rootCert().toString());
            }
        };
    }

    @Bean
    FlywayConfigurationCustomizer databaseTlsForFlyway(DatabaseTlsProperties tls,
                                                       ObjectProvider<FlywayConnectionDetails> connections) {
        return (FluentConfiguration flyway) -> {
            FlywayConnectionDetails connection = connections.getIfAvailable();
            if (connection == null) {
                return;
            }
            UriComponentsBuilder url = UriComponentsBuilder.fromUriString(connection.getJdbcUrl().substring(5))
                    .replaceQueryParam("sslmode", tls.mode().jdbc());
            if (tls.rootCert() != null) {
                url.replaceQueryParam("sslrootcert", tls.rootCert().toString());
            }
            flyway.dataSource("jdbc:" + url.build().toUriString(), connection.getUsername(), connection.getPassword());
        };
    }
}
