package com.acme.imageedit.simulator;

import java.time.Duration;
import java.time.Instant;

/**
 * A spell of trouble at the simulated edge, for every authenticated {@code /v1} call until {@code until} (and, when
 * {@code calls > 0}, for at most that many calls): a fixed error status (503 outage, 429 storm, 502 burst) with an
 * optional {@code Retry-After}, answers held back by {@code delay} (slow responses), or connections reset mid-response.
 * Set at runtime through {@link TheRouterSimulator#setOutage}, so that a test can make the upstream sick and well again.
 *
 * @param status     HTTP status answered instead of the call's own; 0 to answer normally (after {@code delay})
 * @param retryAfter {@code Retry-After} sent with the status, or {@code null} for none
 * @param delay      added before any answer
 * @param reset      break the connection after part of the answer was sent
 * @param until      when the spell ends
 * @param calls      how many calls it affects at most; 0 = all until {@code until}
 */
public record SimulatorOutage(int status, Duration retryAfter, Duration delay, boolean reset, Instant until,
                              int calls) {

    public SimulatorOutage {
        if (delay == null || delay.isNegative()) {
            throw new IllegalArgumentException("delay must be >= 0");
        }
        if (until == null || calls < 0) {
            throw new IllegalArgumentException("until is required and calls must be >= 0");
        }
    }

    /** Total outage: every call answers 503 without {@code Retry-After} for {@code duration}. */
    public static SimulatorOutage unavailable(Duration duration) {
        return new SimulatorOutage(503, null, Duration.ZERO, false, Instant.now().plus(duration), 0);
    }

    /** A 429 storm: the next {@code calls} calls (within a minute) answer 429 with {@code Retry-After}. */
    public static SimulatorOutage rateLimited(int calls, Duration retryAfter) {
        return new SimulatorOutage(429, retryAfter, Duration.ZERO, false, Instant.now().plusSeconds(60), calls);
    }

    /** A 5xx burst: every call answers {@code status} for {@code duration}. */
    public static SimulatorOutage errors(int status, Duration duration) {
        return new SimulatorOutage(status, null, Duration.ZERO, false, Instant.now().plus(duration), 0);
    }

    /** Slow responses: every answer is held back by {@code delay} for {@code duration}. */
    public static SimulatorOutage slow(Duration delay, Duration duration) {
        return new SimulatorOutage(0, null, delay, false, Instant.now().plus(duration), 0);
    }

    /** Connections reset mid-response for {@code duration} (a submit has created its job by then). */
    public static SimulatorOutage resets(Duration duration) {
        return new SimulatorOutage(0, null, Duration.ZERO, true, Instant.now().plus(duration), 0);
    }
}
