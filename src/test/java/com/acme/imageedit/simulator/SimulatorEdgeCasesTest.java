package com.acme.imageedit.simulator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.acme.imageedit.simulator.SimulatorTestClient.Reply;
import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;
import reactor.test.StepVerifier;

/** Behaviours that need a simulator configured differently from the shared one. */
class SimulatorEdgeCasesTest {

    private static final byte[] INPUT = SimulatorTestClient.samplePng(16, 16);
    private static final Duration WAIT = Duration.ofSeconds(10);

    @Test
    void rendersTimestampsAsIsoStringsOrUnixSecondsAsConfigured() {
        try (TheRouterSimulator iso = TheRouterSimulator.start(SimulatorProperties.withTimeScale(0.001)
                .withIsoTimestampRate(1.0));
             TheRouterSimulator unix = TheRouterSimulator.start(SimulatorProperties.withTimeScale(0.001)
                     .withIsoTimestampRate(0.0))) {
            Reply isoReply = new SimulatorTestClient(iso.baseUrl()).submitAsync("a", INPUT).block(WAIT);
            Reply unixReply = new SimulatorTestClient(unix.baseUrl()).submitAsync("a", INPUT).block(WAIT);

            assertThat(Instant.parse((String) isoReply.json().get("created_at"))).isBeforeOrEqualTo(Instant.now());
            assertThat(unixReply.json().get("created_at")).isInstanceOf(Number.class);
            assertThat(unixReply.json().get("expires_at")).isInstanceOf(Number.class);
        }
    }

    @Test
    void anyNonEmptyBearerIsAcceptedWhenNoKeyIsConfigured() {
        try (TheRouterSimulator simulator = TheRouterSimulator.start(SimulatorProperties.withTimeScale(0.001))) {
            SimulatorTestClient client = new SimulatorTestClient(simulator.baseUrl());

            assertThat(client.get("/v1/jobs/img_x", "anything").block(WAIT).status()).isEqualTo(404);
            assertThat(client.get("/v1/jobs/img_x", null).block(WAIT).status()).isEqualTo(401);
        }
    }

    @Test
    void hangTriggerCreatesTheJobButAnswersTooLate() {
        SimulatorProperties base = SimulatorProperties.withTimeScale(0.001);
        SimulatorProperties properties = new SimulatorProperties(base.host(), 0, true, "", 0.001, base.duration(),
                new SimulatorProperties.Failures(0, 0, 0, Duration.ofSeconds(5), 0, 0), 0, 0, 0.5, ResultHost.OWN_ORIGIN,
                false);
        try (TheRouterSimulator simulator = TheRouterSimulator.start(properties)) {
            SimulatorTestClient client = new SimulatorTestClient(simulator.baseUrl());

            StepVerifier.create(client.submitAsync("ambiguous [sim:hang]", INPUT).timeout(Duration.ofMillis(300)))
                    .expectError(TimeoutException.class)
                    .verify(WAIT);
            await().atMost(WAIT).until(() -> simulator.stats().submitsAccepted() == 1);
            assertThat(simulator.stats().submitTimeouts()).isEqualTo(1);
        }
    }

    @Test
    void lognormalDurationsStayWithinTheClampAndAreScaled() {
        SimulatorProperties.Durations durations = new SimulatorProperties.Durations("lognormal",
                Duration.ofSeconds(30), Duration.ofSeconds(180), Duration.ofSeconds(60), 2.0, Duration.ofSeconds(2));
        DurationSampler sampler = new DurationSampler(durations, 0.01);
        java.util.Random random = new java.util.Random(42);

        for (int i = 0; i < 2000; i++) {
            assertThat(sampler.draw(random)).isBetween(Duration.ofMillis(150), Duration.ofMillis(3600));
        }
        assertThat(sampler.queuedFor()).isEqualTo(Duration.ofMillis(20));
    }

    @Test
    void uniformDurationsStayWithinMinAndMax() {
        SimulatorProperties.Durations durations = new SimulatorProperties.Durations("uniform",
                Duration.ofSeconds(30), Duration.ofSeconds(180), Duration.ofSeconds(60), 0.35, Duration.ofSeconds(2));
        DurationSampler sampler = new DurationSampler(durations, 1.0);
        java.util.Random random = new java.util.Random(7);

        for (int i = 0; i < 2000; i++) {
            assertThat(sampler.draw(random)).isBetween(Duration.ofSeconds(30), Duration.ofSeconds(180));
        }
    }

    @Test
    void tokenBucketAllowsTheBurstThenSaysHowLongToWait() {
        TokenBucket bucket = new TokenBucket(0.5, 2);

        assertThat(bucket.tryAcquire()).isEmpty();
        assertThat(bucket.tryAcquire()).isEmpty();
        assertThat(bucket.tryAcquire()).hasValueSatisfying(
                wait -> assertThat(wait).isBetween(Duration.ofMillis(1500), Duration.ofSeconds(2)));
    }
}
