package com.acme.imageedit;

import org.springframework.boot.SpringApplication;

/**
 * {@code ./mvnw spring-boot:test-run}: the service on an embedded PostgreSQL (or a Testcontainers one where Docker runs),
 * with the built-in TheRouter simulator as its upstream, unless {@code THEROUTER_API_KEY} is set, in which case it talks
 * to the real TheRouter.
 */
public class TestImageEditProxyApplication {

    public static void main(String[] args) {
        String key = System.getenv("THEROUTER_API_KEY");
        boolean realUpstream = key != null && !key.isBlank();
        SpringApplication.from(ImageEditProxyApplication::main)
                .with(TestDatabaseConfiguration.class)
                .withAdditionalProfiles(realUpstream ? new String[] {"local", "demo"} : new String[] {"local", "demo", "simulator"})
                .run(args);
    }
}
