package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.Queue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.publisher.MonoSink;
import reactor.core.scheduler.Schedulers;

/**
 * This replica's door to the shared budget. Callers queue; a single in-flight draw asks the database for as many
 * tokens as there are callers waiting and hands them out at once, so a replica makes at most one budget statement at a
 * time however many calls wait, and granted tokens are spent immediately (none are hoarded to go stale).
 */
@Component
class SharedPermits {

    private static final Logger log = LoggerFactory.getLogger(SharedPermits.class);

    private final UpstreamBudget budget;
    private final BudgetProperties properties;
    private final Queue<Waiter> waiters = new ConcurrentLinkedQueue<>();
    private final AtomicBoolean drawing = new AtomicBoolean();
    private final Timer waits;
    private volatile Instant pausedUntil = Instant.MIN;

    SharedPermits(UpstreamBudget budget, BudgetProperties properties, MeterRegistry meters) {
        this.budget = budget;
        this.properties = properties;
        this.waits = Timer.builder("imageedit.ratelimit.wait")
                .description("Time upstream calls waited for a token of the shared TheRouter budget")
                .serviceLevelObjectives(Duration.ofMillis(10), Duration.ofMillis(50), Duration.ofMillis(100),
                        Duration.ofMillis(250), Duration.ofMillis(500), Duration.ofSeconds(1), Duration.ofSeconds(2),
                        Duration.ofSeconds(5), Duration.ofSeconds(10), Duration.ofSeconds(30))
                .register(meters);
    }

    /** Completes when this caller may make one TheRouter call; fails with a TimeoutException after max-wait. */
    Mono<Void> acquire() {
        if (!properties.enabled()) {
            return Mono.empty();
        }
        return Mono.<Void>create(sink -> {
                    Waiter waiter = new Waiter(sink, System.nanoTime());
                    sink.onDispose(() -> waiter.done.set(true));
                    waiters.add(waiter);
                    drain();
                })
                .timeout(properties.maxWait(), Mono.error(() -> new TimeoutException(
                        "no token of the shared TheRouter budget within " + properties.maxWait())));
    }

    /** The end of the shared pause as this replica last saw it; in the past when there is none. */
    Instant pausedUntil() {
        return pausedUntil;
    }

    void notePause(Instant until) {
        if (until != null && until.isAfter(pausedUntil)) {
            pausedUntil = until;
        }
    }

    private void drain() {
        if (!drawing.compareAndSet(false, true)) {
            return;
        }
        int want = (int) Math.min(properties.burst(), waiters.stream().filter(w -> !w.done.get()).count());
        if (want == 0) {
            drawing.set(false);
            if (!waiters.isEmpty() && waiters.stream().anyMatch(w -> !w.done.get())) {
                drain();
            } else {
                waiters.removeIf(w -> w.done.get());
            }
            return;
        }
        budget.take(want).subscribe(grant -> {
            notePause(grant.pausedUntil());
            int handedOut = 0;
            while (handedOut < grant.granted()) {
                Waiter waiter = waiters.poll();
                if (waiter == null) {
                    break; // callers gave up meanwhile; the token is lost, which errs on the safe side
                }
                if (waiter.done.compareAndSet(false, true)) {
                    waits.record(Duration.ofNanos(System.nanoTime() - waiter.since));
                    waiter.sink.success();
                    handedOut++;
                }
            }
            drawing.set(false);
            if (grant.granted() >= want) {
                drain();
            } else {
                Schedulers.parallel().schedule(this::drain, grant.retryIn().toMillis(),
                        java.util.concurrent.TimeUnit.MILLISECONDS);
            }
        }, error -> {
            log.warn("Could not draw from the shared TheRouter budget ({}); retrying in {}", error.toString(),
                    properties.retryOnError());
            drawing.set(false);
            Schedulers.parallel().schedule(this::drain, properties.retryOnError().toMillis(),
                    java.util.concurrent.TimeUnit.MILLISECONDS);
        });
    }

    private static final class Waiter {
        final MonoSink<Void> sink;
        final long since;
        final AtomicBoolean done = new AtomicBoolean();

        Waiter(MonoSink<Void> sink, long since) {
            this.sink = sink;
            this.since = since;
        }
    }
}
