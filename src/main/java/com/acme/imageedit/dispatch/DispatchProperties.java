package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.Optional;

import jakarta.validation.Valid;
import jakarta.validation.constraints.Min;
import jakarta.validation.constraints.NotNull;
import org.jspecify.annotations.Nullable;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;
import org.springframework.validation.annotation.Validated;

/**
 * The background workers: how much they claim, how long they hold it, and how they pace submits and polls.
 *
 * @param enabled          run the workers on this replica (an API-only replica sets false)
 * @param workerId         this replica's name in {@code leased_by}; empty = host name, process id and a random suffix
 * @param batchSize        jobs claimed per round, per loop
 * @param submitConcurrency submits in flight at once on this replica
 * @param pollConcurrency  polls (and result downloads) in flight at once on this replica
 * @param lease            how long a claim is held before another replica may take the job over; longer than the
 *                         slowest upstream call
 * @param idleDelay        pause of a loop that found no work (new jobs on this replica wake it at once)
 * @param firstPollDelay   wait after a submit before the first poll
 * @param pollInterval     wait between polls of a running job
 * @param submitBackoff    first wait before retrying a submit that failed retryably; doubles per attempt, with jitter
 * @param maxSubmitBackoff largest wait between submit attempts
 * @param ambiguousSubmit  what to do when a submit may have reached TheRouter but its answer was lost
 * @param reaperInterval   how often expired leases and deadlines are looked for
 * @param reconnectGrace   how long the database must have been reachable again before the reaper judges submits whose
 *                         lease ran out meanwhile as ambiguous: a live worker that holds TheRouter's answer records it
 *                         first (an outage longer than the lease expires every lease, the live workers' too)
 * @param maxErrorBackoff  largest pause of a loop after consecutive errors (such as the database being down)
 * @param shutdownTimeout  how long shutdown waits for in-flight work before returning its leases
 * @param resultRetry      how a succeeded job whose result cannot be fetched as an image is tried again, and when it
 *                         is given up
 */
@Validated
@ConfigurationProperties("dispatch")
record DispatchProperties(
        @DefaultValue("true") boolean enabled,
        @Nullable String workerId,
        @DefaultValue("16") @Min(1) int batchSize,
        @DefaultValue("8") @Min(1) int submitConcurrency,
        @DefaultValue("16") @Min(1) int pollConcurrency,
        @DefaultValue("2m") @NotNull Duration lease,
        @DefaultValue("1s") @NotNull Duration idleDelay,
        @DefaultValue("10s") @NotNull Duration firstPollDelay,
        @DefaultValue("5s") @NotNull Duration pollInterval,
        @DefaultValue("2s") @NotNull Duration submitBackoff,
        @DefaultValue("2m") @NotNull Duration maxSubmitBackoff,
        @DefaultValue("FAIL") @NotNull AmbiguousSubmitPolicy ambiguousSubmit,
        @DefaultValue("5s") @NotNull Duration reaperInterval,
        @DefaultValue("10s") @NotNull Duration reconnectGrace,
        @DefaultValue("30s") @NotNull Duration maxErrorBackoff,
        @DefaultValue("20s") @NotNull Duration shutdownTimeout,
        @DefaultValue @Valid @NotNull ResultRetry resultRetry) {

    /**
     * TheRouter reported the job succeeded (and billed it) but its result is no image we can store: an SVG, an HTML
     * page, an empty body, an error. It is fetched again (with a poll first, which may bring fresh URLs) after
     * {@code backoff}, doubling up to {@code maxBackoff}, and the job fails {@code upstream_result_unusable} (charged)
     * after {@code maxAttempts} tries or once {@code maxDuration} has passed since the first failure, whichever comes
     * first. Tries held back by the gate or answered 429 do not count.
     */
    record ResultRetry(
            @DefaultValue("6") @Min(1) int maxAttempts,
            @DefaultValue("10m") @NotNull Duration maxDuration,
            @DefaultValue("5s") @NotNull Duration backoff,
            @DefaultValue("2m") @NotNull Duration maxBackoff) {

        /**
         * After {@code failedTries} failed tries, the first of them at {@code failingSince}: how long until the next
         * try, or empty when the job is to be given up now.
         */
        Optional<Duration> nextTry(int failedTries, Instant failingSince, Instant now) {
            if (failedTries >= maxAttempts || !Duration.between(failingSince, now).minus(maxDuration).isNegative()) {
                return Optional.empty();
            }
            long base = Math.max(1, backoff.toMillis());
            long delay = Math.min(maxBackoff.toMillis(), base << Math.min(Math.max(0, failedTries - 1), 30));
            return Optional.of(Duration.ofMillis(delay));
        }
    }

    /** DESIGN §4: the default is at-most-once, because a lost answer may hide a job TheRouter will bill. */
    enum AmbiguousSubmitPolicy {
        /** End the job {@code failed} with {@code submit_outcome_unknown}: never pay twice. */
        FAIL,
        /** Queue the job again: never give up on it, at the risk of paying twice. */
        RETRY
    }
}
