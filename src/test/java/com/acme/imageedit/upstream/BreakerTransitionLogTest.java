package com.acme.imageedit.upstream;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.time.Duration;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import io.github.resilience4j.circuitbreaker.CircuitBreakerRegistry;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.springframework.boot.test.system.CapturedOutput;
import org.springframework.boot.test.system.OutputCaptureExtension;

/** A real Resilience4j registry with the consumer: each transition of a breaker it creates is one log line. */
@ExtendWith(OutputCaptureExtension.class)
class BreakerTransitionLogTest {

    @Test
    void logsOpeningAtWarnAndRecoveryAtInfo(CapturedOutput output) {
        CircuitBreakerConfig config = CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(4)
                .minimumNumberOfCalls(4)
                .failureRateThreshold(50)
                .permittedNumberOfCallsInHalfOpenState(1)
                .waitDurationInOpenState(Duration.ofMinutes(1))
                .build();
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(config, new BreakerTransitionLog());
        CircuitBreaker breaker = registry.circuitBreaker("therouter");

        for (int i = 0; i < 4; i++) {
            breaker.onError(0, java.util.concurrent.TimeUnit.MILLISECONDS, new IOException("503 from upstream"));
        }
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.OPEN);
        breaker.transitionToHalfOpenState();
        breaker.onSuccess(0, java.util.concurrent.TimeUnit.MILLISECONDS);
        assertThat(breaker.getState()).isEqualTo(CircuitBreaker.State.CLOSED);

        assertThat(output.getOut()).containsSubsequence(
                "WARN", "Circuit breaker therouter: CLOSED -> OPEN (failure rate 100.0%", "4 calls in the window",
                "INFO", "Circuit breaker therouter: OPEN -> HALF_OPEN (failure rate n/a",
                "INFO", "Circuit breaker therouter: HALF_OPEN -> CLOSED");
        assertThat(output.getOut().lines().filter(l -> l.contains("Circuit breaker therouter:"))).hasSize(3);
    }

    @Test
    void coversBreakersReplacedInTheRegistry(CapturedOutput output) {
        CircuitBreakerRegistry registry = CircuitBreakerRegistry.of(CircuitBreakerConfig.ofDefaults(),
                new BreakerTransitionLog());
        registry.circuitBreaker("therouter");
        CircuitBreaker replacement = CircuitBreaker.ofDefaults("therouter");
        registry.replace("therouter", replacement);

        replacement.transitionToForcedOpenState();

        assertThat(output.getOut()).contains("Circuit breaker therouter: CLOSED -> FORCED_OPEN");
    }
}
