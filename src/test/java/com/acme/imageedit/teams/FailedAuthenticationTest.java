package com.acme.imageedit.teams;

import java.net.URI;
import java.time.Duration;
import java.util.List;
import java.util.UUID;
import java.util.stream.IntStream;

import com.acme.imageedit.Replicas;
import com.acme.imageedit.TestDatabase;
import io.micrometer.core.instrument.MeterRegistry;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.springframework.context.ConfigurableApplicationContext;
import org.springframework.http.HttpHeaders;
import org.springframework.http.MediaType;
import org.springframework.test.web.reactive.server.EntityExchangeResult;
import org.springframework.test.web.reactive.server.WebTestClient;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/**
 * Wrong keys cost the database little: a repeated unknown key is looked up once per {@code teams.unknown-key-cache-ttl}
 * (counted by the replica's own look-up meter, which counts the queries it sends), and an address that keeps failing is
 * refused 429 without a look-up, while other addresses, and keys the replica has just seen valid, carry on. Client
 * addresses come from {@code X-Forwarded-For} through Spring's forwarded-header handling, as behind an ingress.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class FailedAuthenticationTest {

    private static final Duration UNKNOWN_KEY_TTL = Duration.ofSeconds(3);
    private static final int PER_ADDRESS = 5;

    private final Replicas replicas = new Replicas();
    private ConfigurableApplicationContext replica;
    private WebTestClient client;

    @BeforeAll
    void startReplica() {
        TestDatabase database = Replicas.freshDatabase();
        replica = replicas.start(database, database, URI.create("http://127.0.0.1:9"), "auth",
                "--dispatch.enabled=false", "--webhooks.enabled=false",
                // valid keys stay cached for the whole test (the demo profile says 1 s)
                "--teams.key-cache-ttl=10m",
                "--teams.unknown-key-cache-ttl=" + UNKNOWN_KEY_TTL.toMillis() + "ms",
                "--teams.failed-authentications.per-address=" + PER_ADDRESS,
                // one failure regained a minute: nothing refills while the test runs
                "--teams.failed-authentications.period=" + PER_ADDRESS + "m");
        client = WebTestClient.bindToServer().baseUrl("http://localhost:" + Replicas.port(replica))
                .responseTimeout(Duration.ofSeconds(30)).build();
    }

    @AfterAll
    void stop() {
        replicas.close();
    }

    @Test
    void aRepeatedUnknownKeyIsLookedUpOncePerTtl() {
        String key = "unknown-" + UUID.randomUUID();
        double before = lookups("unknown");
        long started = System.nanoTime();
        for (int i = 0; i < 20; i++) {
            // each from its own address, so that the failure limit stays out of this test
            assertThat(usage(key, "192.0.2." + (i + 1)).getStatus().value()).isEqualTo(401);
        }
        Duration burst = Duration.ofNanos(System.nanoTime() - started);
        assertThat(burst).as("the burst must fit in the TTL for this count to mean anything")
                .isLessThan(UNKNOWN_KEY_TTL);
        assertThat(lookups("unknown") - before).as("look-ups of 20 requests with one unknown key").isEqualTo(1);

        // Repeated every 100 ms: the next look-up comes once the TTL is over, not before.
        long[] secondLookupAfterMs = new long[1];
        int[] address = {0};
        await().atMost(UNKNOWN_KEY_TTL.multipliedBy(3)).pollInterval(Duration.ofMillis(100)).until(() -> {
            assertThat(usage(key, "203.0.113." + (++address[0] % 250 + 1)).getStatus().value()).isEqualTo(401);
            secondLookupAfterMs[0] = (System.nanoTime() - started) / 1_000_000;
            return lookups("unknown") - before >= 2;
        });
        assertThat(lookups("unknown") - before).isEqualTo(2);
        assertThat(secondLookupAfterMs[0]).as("ms from the first look-up to the second")
                .isGreaterThanOrEqualTo(UNKNOWN_KEY_TTL.toMillis());

        // Another unknown key is its own look-up; a valid key is found (and then cached).
        double foundBefore = lookups("found");
        assertThat(usage("another-" + UUID.randomUUID(), "192.0.2.101").getStatus().value()).isEqualTo(401);
        assertThat(lookups("unknown") - before).isEqualTo(3);
        assertThat(usage("held-key", "192.0.2.102").getStatus().value()).isEqualTo(200);
        assertThat(usage("held-key", "192.0.2.102").getStatus().value()).isEqualTo(200);
        assertThat(lookups("found") - foundBefore).isEqualTo(1);
    }

    @Test
    void anAddressFloodingWrongKeysIsRefused429WithoutLookUpsWhileOtherAddressesAuthenticate() {
        String flooder = "198.51.100.7";
        String neighbour = "198.51.100.8";
        // demo-a's key is valid and cached on this replica before the flood
        assertThat(usage("demo-a-key", neighbour).getStatus().value()).isEqualTo(200);
        double lookupsBefore = lookups("unknown");

        List<EntityExchangeResult<byte[]>> flood = IntStream.range(0, 30)
                .mapToObj(i -> usage("guess-" + UUID.randomUUID(), flooder)).toList();

        assertThat(flood.subList(0, PER_ADDRESS)).allSatisfy(r -> assertThat(r.getStatus().value()).isEqualTo(401));
        assertThat(flood.subList(PER_ADDRESS, flood.size())).allSatisfy(r -> {
            assertThat(r.getStatus().value()).isEqualTo(429);
            assertThat(r.getResponseHeaders().getContentType()).isEqualTo(MediaType.APPLICATION_PROBLEM_JSON);
            long retryAfter = Long.parseLong(r.getResponseHeaders().getFirst(HttpHeaders.RETRY_AFTER));
            assertThat(retryAfter).isBetween(1L, 60L);
            assertThat(new String(r.getResponseBody())).contains("\"code\":\"too_many_failed_authentications\"",
                    "\"field\":\"Authorization\"");
        });
        assertThat(lookups("unknown") - lookupsBefore).as("database look-ups of the 30 guesses")
                .isEqualTo(PER_ADDRESS);
        assertThat(refusals("too_many_failures")).isGreaterThanOrEqualTo(30 - PER_ADDRESS);

        // Another address is not affected: a valid key authenticates, a wrong one is its own 401.
        assertThat(usage("demo-b-key", neighbour).getStatus().value()).isEqualTo(200);
        assertThat(usage("guess-" + UUID.randomUUID(), neighbour).getStatus().value()).isEqualTo(401);
        // The flooding address: a key this replica has just seen valid still works (no look-up needed); any other
        // key, valid or not, waits until the address has regained a failure.
        assertThat(usage("demo-a-key", flooder).getStatus().value()).isEqualTo(200);
        assertThat(usage("limited-key", flooder).getStatus().value()).isEqualTo(429);
        // Without forwarded headers the address is the connection's own (loopback here), which is not over.
        assertThat(usage("limited-key", null).getStatus().value()).isEqualTo(200);
    }

    private EntityExchangeResult<byte[]> usage(String key, String forwardedFor) {
        WebTestClient.RequestHeadersSpec<?> request = client.get().uri("/v1/usage")
                .header(HttpHeaders.AUTHORIZATION, "Bearer " + key);
        if (forwardedFor != null) {
            request = request.header("X-Forwarded-For", forwardedFor);
        }
        return request.exchange().expectBody().returnResult();
    }

    private double lookups(String result) {
        return replica.getBean(MeterRegistry.class).get("imageedit.auth.key.lookups").tag("result", result).counter()
                .count();
    }

    private double refusals(String reason) {
        return replica.getBean(MeterRegistry.class).get("imageedit.auth.refusals").tag("reason", reason).counter()
                .count();
    }
}
