package com.acme.imageedit.simulator;

import java.time.Duration;
import java.util.Optional;

/** The upstream account's rate limit. Synchronised: contention is irrelevant at simulator request rates. */
final class TokenBucket {

    private static final long NANOS_PER_SECOND = 1_000_000_000L;

    private final double perSecond;
    private final double capacity;
    private double tokens;
    private long refilledAt;

    TokenBucket(double perSecond, int capacity) {
        this.perSecond = perSecond;
        this.capacity = capacity;
        this.tokens = capacity;
        this.refilledAt = System.nanoTime();
    }

    /** Takes a token, or says how long until one is available. */
    synchronized Optional<Duration> tryAcquire() {
        long now = System.nanoTime();
        tokens = Math.min(capacity, tokens + (now - refilledAt) * perSecond / NANOS_PER_SECOND);
        refilledAt = now;
        if (tokens >= 1.0) {
            tokens -= 1.0;
            return Optional.empty();
        }
        long waitNanos = (long) Math.ceil((1.0 - tokens) / perSecond * NANOS_PER_SECOND);
        return Optional.of(Duration.ofNanos(waitNanos));
    }
}
