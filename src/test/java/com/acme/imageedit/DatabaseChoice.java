package com.acme.imageedit;

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
        try {
            return DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }
}
