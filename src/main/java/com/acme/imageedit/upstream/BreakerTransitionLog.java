package com.acme.imageedit.upstream;

import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.event.CircuitBreakerOnStateTransitionEvent;
import io.github.resilience4j.core.registry.EntryAddedEvent;
import io.github.resilience4j.core.registry.EntryRemovedEvent;
import io.github.resilience4j.core.registry.EntryReplacedEvent;
import io.github.resilience4j.core.registry.RegistryEventConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;

/**
 * Logs every state transition of every circuit breaker (the {@code therouter} one above all): WARN when a breaker
 * opens (TheRouter calls stop), INFO for the others (half-open probe, closed again). Resilience4j's Spring Boot
 * integration hands each breaker to the {@link RegistryEventConsumer} beans as the registry creates it, so breakers made
 * later are covered too. The metric {@code resilience4j_circuitbreaker_state} shows the state; this line says when it
 * changed and why (failure and slow-call rates at that moment).
 */
@Component
class BreakerTransitionLog implements RegistryEventConsumer<CircuitBreaker> {

    private static final Logger log = LoggerFactory.getLogger(BreakerTransitionLog.class);

    @Override
    public void onEntryAddedEvent(EntryAddedEvent<CircuitBreaker> added) {
        CircuitBreaker breaker = added.getAddedEntry();
        breaker.getEventPublisher().onStateTransition(event -> logTransition(breaker, event));
    }

    @Override
    public void onEntryRemovedEvent(EntryRemovedEvent<CircuitBreaker> removed) {
        // its event publisher goes with it
    }

    @Override
    public void onEntryReplacedEvent(EntryReplacedEvent<CircuitBreaker> replaced) {
        CircuitBreaker breaker = replaced.getNewEntry();
        breaker.getEventPublisher().onStateTransition(event -> logTransition(breaker, event));
    }

    static void logTransition(CircuitBreaker breaker, CircuitBreakerOnStateTransitionEvent event) {
        CircuitBreaker.Metrics metrics = breaker.getMetrics();
        CircuitBreaker.State to = event.getStateTransition().getToState();
        String message = "Circuit breaker {}: {} -> {} (failure rate {}, slow-call rate {}, {} calls in the window)";
        Object[] arguments = {event.getCircuitBreakerName(), event.getStateTransition().getFromState(), to,
                rate(metrics.getFailureRate()), rate(metrics.getSlowCallRate()), metrics.getNumberOfBufferedCalls()};
        if (to == CircuitBreaker.State.OPEN || to == CircuitBreaker.State.FORCED_OPEN) {
            log.warn(message, arguments);
        } else {
            log.info(message, arguments);
        }
    }

    // Resilience4j reports -1 until the window holds its minimum number of calls (and after every reset)
    private static String rate(float percent) {
        return percent < 0 ? "n/a" : percent + "%";
    }
}
