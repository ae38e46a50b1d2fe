package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;

import org.junit.jupiter.api.Test;

import static org.assertj.core.api.Assertions.assertThat;

/** When a result that is no image is tried again, and when it is given up: tries or time, whichever comes first. */
class ResultRetryTest {

    private static final Instant T0 = Instant.parse("2026-01-01T00:00:00Z");
    private final DispatchProperties.ResultRetry retry = new DispatchProperties.ResultRetry(6, Duration.ofMinutes(10),
            Duration.ofSeconds(5), Duration.ofSeconds(30));

    @Test
    void thePauseDoublesFromTheBackoffUpToItsCap() {
        assertThat(retry.nextTry(1, T0, T0)).contains(Duration.ofSeconds(5));
        assertThat(retry.nextTry(2, T0, T0.plusSeconds(5))).contains(Duration.ofSeconds(10));
        assertThat(retry.nextTry(3, T0, T0.plusSeconds(15))).contains(Duration.ofSeconds(20));
        assertThat(retry.nextTry(4, T0, T0.plusSeconds(35))).contains(Duration.ofSeconds(30));
        assertThat(retry.nextTry(5, T0, T0.plusSeconds(65))).contains(Duration.ofSeconds(30));
    }

    @Test
    void givenUpAfterTheLastTry() {
        assertThat(retry.nextTry(6, T0, T0.plusSeconds(95))).isEmpty();
        assertThat(new DispatchProperties.ResultRetry(1, Duration.ofMinutes(10), Duration.ofSeconds(5),
                Duration.ofSeconds(30)).nextTry(1, T0, T0)).as("one try only").isEmpty();
    }

    @Test
    void givenUpOnceTheDurationHasPassedWhateverTheTriesLeft() {
        DispatchProperties.ResultRetry patient = new DispatchProperties.ResultRetry(1000, Duration.ofMinutes(2),
                Duration.ofSeconds(5), Duration.ofSeconds(30));
        assertThat(patient.nextTry(3, T0, T0.plusSeconds(119))).isPresent();
        assertThat(patient.nextTry(3, T0, T0.plusSeconds(120))).isEmpty();
    }
}
