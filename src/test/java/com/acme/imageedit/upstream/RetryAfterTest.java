package com.acme.imageedit.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;

import org.junit.jupiter.api.Test;

class RetryAfterTest {

    private final Clock clock = Clock.fixed(Instant.parse("2026-05-13T10:00:00Z"), ZoneOffset.UTC);

    @Test
    void deltaSeconds() {
        assertThat(RetryAfter.parse("7", clock)).isEqualTo(Duration.ofSeconds(7));
        assertThat(RetryAfter.parse(" 0 ", clock)).isEqualTo(Duration.ZERO);
        assertThat(RetryAfter.parse("1.5", clock)).isEqualTo(Duration.ofMillis(1500));
        assertThat(RetryAfter.parse("0.0001", clock)).isEqualTo(Duration.ofMillis(1));
    }

    @Test
    void httpDate() {
        assertThat(RetryAfter.parse("Wed, 13 May 2026 10:02:00 GMT", clock)).isEqualTo(Duration.ofMinutes(2));
        assertThat(RetryAfter.parse("Wed, 13 May 2026 09:00:00 GMT", clock)).isEqualTo(Duration.ZERO);
    }

    @Test
    void absentOrGarbage() {
        assertThat(RetryAfter.parse(null, clock)).isNull();
        assertThat(RetryAfter.parse("", clock)).isNull();
        assertThat(RetryAfter.parse("-5", clock)).isNull();
        assertThat(RetryAfter.parse("soon", clock)).isNull();
        assertThat(RetryAfter.parse("99999999999999999999999", clock)).isNull();
    }
}
