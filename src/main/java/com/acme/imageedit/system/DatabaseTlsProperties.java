package com.acme.imageedit.system;

import java.nio.file.Path;
import java.util.Locale;

import io.r2dbc.postgresql.client.SSLMode;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * TLS to PostgreSQL, for both connections the service makes: R2DBC (the service) and JDBC (Flyway, at start-up).
 *
 * @param mode     libpq's sslmode: {@code disable}, {@code allow}, {@code prefer} (the default: TLS when the server
 *                 offers it), {@code require}, {@code verify-ca}, {@code verify-full} (what a production database
 *                 reached over a network should use)
 * @param rootCert the CA certificate (PEM file) that verifies the server for {@code verify-ca} and {@code verify-full}
 */
@Validated
@ConfigurationProperties("database.tls")
public record DatabaseTlsProperties(
        @DeploymentSetting @DefaultValue("prefer") @NotNull Mode mode,
        @Nullable Path rootCert) {

    /** libpq's sslmode values; both drivers take them. */
    public enum Mode {
        DISABLE, ALLOW, PREFER, REQUIRE, VERIFY_CA, VERIFY_FULL;

        String jdbc() {
            return name().toLowerCase(Locale.ROOT).replace('_', '-');
        }

        SSLMode r2dbc() {
            return SSLMode.valueOf(name());
        }
    }
}
