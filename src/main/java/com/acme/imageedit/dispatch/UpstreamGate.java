package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.concurrent.TimeoutException;

import com.acme.imageedit.upstream.OriginGate;
import com.acme.imageedit.upstream.UpstreamCall;
import com.acme.imageedit.upstream.UpstreamException;
import io.github.resilience4j.circuitbreaker.CallNotPermittedException;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import io.github.resilience4j.core.functions.Either;
import io.github.resilience4j.ratelimiter.RateLimiter;
import io.github.resilience4j.ratelimiter.RateLimiterRegistry;
import io.github.resilience4j.ratelimiter.RequestNotPermitted;
import io.github.resilience4j.reactor.circuitbreaker.operator.CircuitBreakerOperator;
import io.github.resilience4j.reactor.ratelimiter.operator.RateLimiterOperator;
import io.github.resilience4j.reactor.retry.RetryOperator;
import io.github.resilience4j.retry.Retry;
import io.github.resilience4j.retry.RetryRegistry;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Everything a request to TheRouter's origin passes on its way out, in this order: the replica's Resilience4j rate
 * limiter for its kind (submits {@code therouter-submit}; polls and result downloads from TheRouter's origin
 * {@code therouter-poll}), the circuit breaker's state (an open breaker costs no budget), a token of the account-wide
 * budget in PostgreSQL (which also holds the shared pause), then the call itself under the circuit breaker. A 429 or a
 * {@code Retry-After} in the answer pauses every replica. Polls are retried in place by the {@code therouter-poll}
 * retry; submits are not (see {@link #submitBackoff}), nor are downloads (the poller tries the result again later).
 */
@Component
class UpstreamGate implements OriginGate {

    static final String BREAKER = "therouter";

    private static final Logger log = LoggerFactory.getLogger(UpstreamGate.class);

    private final SharedPermits permits;
    private final UpstreamBudget budget;
    private final BudgetProperties properties;
    private final CircuitBreaker breaker;
    private final RateLimiter submitLimiter;
    private final RateLimiter pollLimiter;
    private final Retry pollRetry;
    private final Retry submitRetry;
    private final MeterRegistry meters;

    UpstreamGate(SharedPermits permits, UpstreamBudget budget, BudgetProperties properties,
                 CircuitBreakerRegistry breakers, RateLimiterRegistry limiters, RetryRegistry retries,
                 MeterRegistry meters) {
        this.permits = permits;
        this.budget = budget;
        this.properties = properties;
        this.breaker = breakers.circuitBreaker(BREAKER);
        this.submitLimiter = limiters.rateLimiter("therouter-submit");
        this.pollLimiter = limiters.rateLimiter("therouter-poll");
        this.pollRetry = retries.retry("therouter-poll");
        this.submitRetry = retries.retry("therouter-submit");
        this.meters = meters;
    }

    /**
     * How many jobs are worth claiming for upstream calls now: none while the breaker is open or a pause lasts, one
     * while the breaker is half-open (its probe), else the full batch.
     */
    int capacity(int batch) {
        if (Instant.now().isBefore(permits.pausedUntil())) {
            return 0;
        }
        CircuitBreaker.State state = breaker.getState();
        if (isOpen(state)) {
            return 0; // the breaker moves to half-open by itself (automatic transition), so nobody needs to ask
        }
        return state == CircuitBreaker.State.HALF_OPEN ? 1 : batch;
    }

    private static boolean isOpen(CircuitBreaker.State state) {
        return state == CircuitBreaker.State.OPEN || state == CircuitBreaker.State.FORCED_OPEN;
    }

    CircuitBreaker.State breakerState() {
        return breaker.getState();
    }

    /** Runs a call (for a submit: marking the job sent, then sending it) through every guard. */
    @Override
    public <T> Mono<T> call(UpstreamCall kind, Mono<T> call) {
        Mono<T> guarded = Mono.defer(() -> {
                    if (isOpen(breaker.getState())) {
                        return Mono.error(CallNotPermittedException.createCallNotPermittedException(breaker));
                    }
                    return permits.acquire().then(call.transformDeferred(CircuitBreakerOperator.of(breaker)));
                })
                .transformDeferred(RateLimiterOperator.of(kind.isSubmit() ? submitLimiter : pollLimiter))
                .onErrorResume(UpstreamException.Retryable.class, this::pauseIfAsked)
                // empty: the call chose not to send (a submit whose job changed before it was marked sent)
                .doOnSuccess(v -> count(kind, v == null ? "skipped" : "success"))
                .doOnError(e -> count(kind, outcome(e)));
        return kind == UpstreamCall.POLL ? guarded.transformDeferred(RetryOperator.of(pollRetry)) : guarded;
    }

    /**
     * When to try a submit again after a retryable failure: the pause TheRouter asked for, else the exponential,
     * jittered interval of the {@code therouter-submit} retry. Submits are retried through the queue (durably, by any
     * replica), not in place, because each attempt must be marked sent in the database before it leaves.
     */
    Duration submitBackoff(int attempt, UpstreamException.Retryable failure) {
        if (failure.retryAfter() != null) {
            return failure.retryAfter();
        }
        long millis = submitRetry.getRetryConfig().getIntervalBiFunction()
                .apply(Math.max(1, attempt), Either.left(failure));
        return Duration.ofMillis(millis);
    }

    /** True when a failure means the call never left: the job may simply be tried again. */
    static boolean notSent(Throwable failure) {
        return failure instanceof CallNotPermittedException || failure instanceof RequestNotPermitted
                || failure instanceof TimeoutException;
    }

    private <T> Mono<T> pauseIfAsked(UpstreamException.Retryable failure) {
        if (failure.httpStatus() != 429 && failure.retryAfter() == null) {
            return Mono.error(failure);
        }
        Duration pause = failure.retryAfter() != null ? failure.retryAfter() : properties.defaultPause();
        if (pause.compareTo(properties.maxPause()) > 0) {
            pause = properties.maxPause();
        }
        Duration effective = pause;
        log.info("TheRouter asked to slow down (HTTP {}); pausing every replica for {}", failure.httpStatus(),
                effective);
        permits.notePause(Instant.now().plus(effective));
        return budget.pause(effective, "HTTP " + failure.httpStatus() + " from TheRouter")
                .doOnNext(permits::notePause)
                .onErrorResume(e -> {
                    log.warn("Could not record the shared pause ({}); this replica pauses alone", e.toString());
                    return Mono.empty();
                })
                .then(Mono.error(failure));
    }

    private void count(UpstreamCall kind, String outcome) {
        meters.counter("imageedit.upstream.gate", "kind", kind.tag(), "outcome", outcome).increment();
    }

    private static String outcome(Throwable e) {
        if (e instanceof UpstreamException.Retryable r) {
            return r.httpStatus() == 429 ? "rate_limited" : "retryable";
        }
        if (e instanceof UpstreamException.OutcomeUnknown) {
            return "unknown";
        }
        if (e instanceof UpstreamException.Rejected) {
            return "rejected";
        }
        if (e instanceof UpstreamException.NotFound) {
            return "not_found";
        }
        if (notSent(e)) {
            return "not_permitted";
        }
        return "error";
    }
}
