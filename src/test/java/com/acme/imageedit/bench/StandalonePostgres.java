package com.acme.imageedit.bench;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.CountDownLatch;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;

/**
 * A PostgreSQL 17 server in its own process, for benchmarks and reliability runs that need the database to outlive (or
 * die apart from) the service: {@code run(PORT, DATA_DIR[, fresh])}. Prints {@code POSTGRES READY <port>} once it
 * accepts connections, with a database {@code imageedit} (user and password postgres); stops cleanly on SIGTERM, and
 * a second start on the same data directory keeps the data (a restart). initdb and pg_ctl refuse to run as root; the
 * embedded binaries do not. Launched by bench/lib.sh's {@code start_postgres}.
 */
public final class StandalonePostgres {

    private StandalonePostgres() {
    }

    public static void run(String[] args) throws IOException, InterruptedException {
        int port = Integer.parseInt(args[0]);
        Path dataDirectory = Path.of(args[1]);
        boolean fresh = args.length > 2 && Boolean.parseBoolean(args[2]);
        if (fresh && Files.exists(dataDirectory)) {
            try (var files = Files.walk(dataDirectory)) {
                files.sorted(java.util.Comparator.reverseOrder()).map(Path::toFile).forEach(java.io.File::delete);
            }
        }
        Files.createDirectories(dataDirectory);
        EmbeddedPostgres postgres = EmbeddedPostgres.builder()
                .setPort(port)
                .setDataDirectory(dataDirectory)
                // never deleted on stop, so that a stop and a start are a restart
                .setCleanDataDirectory(false)
                .setServerConfig("max_connections", "300")
                .setServerConfig("shared_buffers", "256MB")
                .setServerConfig("listen_addresses", "127.0.0.1")
                .start();
        try (Connection connection = postgres.getPostgresDatabase().getConnection();
             Statement statement = connection.createStatement()) {
            statement.execute("create database imageedit");
        } catch (SQLException alreadyThere) {
            // a restart on a kept data directory: the database is there
        }
        CountDownLatch stopped = new CountDownLatch(1);
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            try {
                postgres.close();
            } catch (IOException e) {
                System.err.println("POSTGRES STOP FAILED " + e);
            }
            stopped.countDown();
        }, "postgres-stop"));
        System.out.println("POSTGRES READY " + port);
        System.out.flush();
        stopped.await();
    }
}
