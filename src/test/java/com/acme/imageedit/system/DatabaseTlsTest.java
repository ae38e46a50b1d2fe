package com.acme.imageedit.system;

import java.io.IOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.r2dbc.core.DatabaseClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/**
 * TLS to PostgreSQL for real: a PostgreSQL 17 server of the test's own with TLS on (a CA and a server certificate made
 * with openssl). The service migrates (JDBC) and works (R2DBC) over verified TLS with {@code database.tls.mode=
 * verify-full} and the CA as root certificate, and refuses to start when the root certificate is another CA's.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class DatabaseTlsTest {

    @TempDir
    static Path dir;

    private EmbeddedPostgres server;
    private final Replicas replicas = new Replicas();

    @BeforeAll
    void startATlsServer() throws Exception {
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=test-ca",
                "-keyout", "ca.key", "-out", "ca.crt");
        openssl("req", "-newkey", "rsa:2048", "-nodes", "-subj", "/CN=localhost", "-keyout", "server.key",
                "-out", "server.csr");
        Files.writeString(dir.resolve("san.ext"), "subjectAltName=DNS:localhost,IP:127.0.0.1\n");
        openssl("x509", "-req", "-in", "server.csr", "-CA", "ca.crt", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "2", "-extfile", "san.ext", "-out", "server.crt");
        openssl("req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "2", "-subj", "/CN=other-ca",
                "-keyout", "other.key", "-out", "other.crt");
        Files.setPosixFilePermissions(dir.resolve("server.key"), PosixFilePermissions.fromString("rw-------"));
        server = EmbeddedPostgres.builder()
                .setServerConfig("ssl", "on")
                .setServerConfig("ssl_cert_file", dir.resolve("server.crt").toString())
                .setServerConfig("ssl_key_file", dir.resolve("server.key").toString())
                .setServerConfig("fsync", "off")
                .start();
        try (Connection c = server.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("create database tls");
        }
    }

    @AfterAll
    void stop() throws IOException {
        replicas.close();
        server.close();
    }

    @Test
    void migratesAndWorksOverVerifiedTlsAndRefusesAnUnknownCa() {
        TestDatabase database = new TestDatabase("localhost", server.getPort(), "tls", "postgres", "postgres");
        ConfigurableApplicationContext service = replicas.start(database, database, URI.create("http://127.0.0.1:9"),
                "tls", "--dispatch.enabled=false", "--database.tls.mode=verify-full",
                "--database.tls.root-cert=" + dir.resolve("ca.crt"));
        Boolean encrypted = service.getBean(DatabaseClient.class)
                .sql("select ssl from pg_stat_ssl where pid = pg_backend_pid()")
                .map((row, meta) -> row.get("ssl", Boolean.class)).one().block(Duration.ofSeconds(10));
        assertThat(encrypted).as("the service's R2DBC connection is TLS").isTrue();
        // Flyway ran over JDBC with the same settings: the schema is there
        assertThat(service.getBean(DatabaseClient.class).sql("select count(*) from flyway_schema_history")
                .map((row, meta) -> row.get(0, Long.class)).one().block(Duration.ofSeconds(10))).isPositive();

        assertThatThrownBy(() -> replicas.start(database, database, URI.create("http://127.0.0.1:9"), "tls-wrong",
                "--dispatch.enabled=false", "--database.tls.mode=verify-full",
                "--database.tls.root-cert=" + dir.resolve("other.crt")))
                .hasStackTraceContaining("PKIX");
    }

    private void openssl(String... args) throws Exception {
        Process process = new ProcessBuilder(concat("openssl", args)).directory(dir.toFile())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        assertThat(process.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(process.exitValue()).as(output).isZero();
    }

    private static List<String> concat(String first, String... rest) {
        List<String> all = new ArrayList<>(List.of(first));
        all.addAll(List.of(rest));
        return all;
    }
}
