package com.acme.imageedit.webhooks;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;
import java.util.concurrent.ThreadLocalRandom;

/** When a failed delivery is tried next: the configured schedule, jittered, unless the receiver asked for longer. */
final class RetryPolicy {

    private final WebhooksProperties properties;
    private final Clock clock;

    RetryPolicy(WebhooksProperties properties, Clock clock) {
        this.properties = properties;
        this.clock = clock;
    }

    /**
     * The wait after a failed attempt, or {@code null} when {@code attemptsDone} attempts (this round) used up the
     * schedule.
     */
    Duration nextDelay(int attemptsDone, String retryAfter) {
        if (attemptsDone >= properties.maxAttempts()) {
            return null;
        }
        Duration scheduled = jittered(properties.retrySchedule().get(attemptsDone));
        Duration asked = parseRetryAfter(retryAfter);
        if (asked == null) {
            return scheduled;
        }
        Duration capped = asked.compareTo(properties.maxRetryAfter()) > 0 ? properties.maxRetryAfter() : asked;
        return capped.compareTo(scheduled) > 0 ? capped : scheduled;
    }

    private Duration jittered(Duration base) {
        double spread = properties.jitter();
        if (base.isZero() || spread == 0) {
            return base;
        }
        double factor = 1 + ThreadLocalRandom.current().nextDouble(-spread, spread);
        return Duration.ofMillis(Math.max(0, Math.round(base.toMillis() * factor)));
    }

    /** Delta-seconds or an HTTP-date; {@code null} when absent or unreadable (then the schedule applies). */
    Duration parseRetryAfter(String header) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        if (value.matches("\\d{1,9}(\\.\\d+)?")) {
            return Duration.ofMillis(new BigDecimal(value).movePointRight(3).setScale(0, RoundingMode.CEILING)
                    .longValueExact());
        }
        try {
            Duration delta = Duration.between(clock.instant(),
                    ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME).toInstant());
            return delta.isNegative() ? Duration.ZERO : delta;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
