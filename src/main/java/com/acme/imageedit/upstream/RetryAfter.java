package com.acme.imageedit.upstream;

import java.math.BigDecimal;
import java.math.RoundingMode;
import java.time.Clock;
import java.time.Duration;
import java.time.ZonedDateTime;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeParseException;

/** Reads {@code Retry-After}. TheRouter does not promise the header, so anything odd is treated as absent. */
final class RetryAfter {

    private static final BigDecimal MAX_SECONDS = BigDecimal.valueOf(Long.MAX_VALUE / 1000);

    private RetryAfter() {
    }

    /** Delta-seconds (integer or, leniently, decimal) or an HTTP-date; {@code null} when absent or unreadable. */
    static Duration parse(String header, Clock clock) {
        if (header == null || header.isBlank()) {
            return null;
        }
        String value = header.strip();
        if (value.matches("\\d+(\\.\\d+)?")) {
            BigDecimal seconds = new BigDecimal(value);
            // Absurd values (beyond ~292 million years) are a broken header, not a pause to honour.
            if (seconds.compareTo(MAX_SECONDS) > 0) {
                return null;
            }
            return Duration.ofMillis(seconds.movePointRight(3).setScale(0, RoundingMode.CEILING).longValueExact());
        }
        try {
            ZonedDateTime at = ZonedDateTime.parse(value, DateTimeFormatter.RFC_1123_DATE_TIME);
            Duration delta = Duration.between(clock.instant(), at.toInstant());
            // A date in the past means "now": the pause is already over.
            return delta.isNegative() ? Duration.ZERO : delta;
        } catch (DateTimeParseException e) {
            return null;
        }
    }
}
