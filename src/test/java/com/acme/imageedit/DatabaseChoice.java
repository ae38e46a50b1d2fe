package com.acme.imageedit;

import java.nio.file.Files;
import java.nio.file.Path;

import org.testcontainers.DockerClientFactory;

/** Decides once per JVM between Testcontainers and the embedded PostgreSQL. */
final class DatabaseChoice {

    private static volatile Boolean testcontainers;

    private DatabaseChoice() {
    }

    static boolean useTestcontainers() {
        Boolean choice = testcontainers;
        if (choice == null) {
            synchronized (DatabaseChoice.class) {
                choice = testcontainers;
                if (choice == null) {
                    choice = decide();
                    testcontainers = choice;
                }
            }
        }
        return choice;
    }

    private static boolean decide() {
        String forced = System.getProperty("test.database", System.getenv().getOrDefault("TEST_DATABASE", ""));
        if (forced.equalsIgnoreCase("embedded")) {
            return false;
        }
        if (forced.equalsIgnoreCase("testcontainers")) {
            return true;
        }
        return dockerAvailable();
    }

    /** Whether a Docker engine answers; asks Testcontainers only when one may exist (its probe is slow otherwise). */
    static boolean dockerAvailable() {
        boolean maybeDocker = System.getenv("DOCKER_HOST") != null
                || Files.exists(Path.of("/var/run/docker.sock"))
                || Files.exists(Path.of(System.getProperty("user.home"), ".testcontainers.properties"));
        if (!maybeDocker) {
            return false;
        }
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
