package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Supplier;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.Disposable;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/**
 * The sender's never-dying loop, after dispatch's WorkerLoop: an error is logged and followed by a growing pause, a
 * full round by the next at once, an empty one by the idle pause, which {@link #wake()} cuts short.
 */
final class SenderLoop {

    private static final Logger log = LoggerFactory.getLogger(SenderLoop.class);

    private final Supplier<Mono<Boolean>> round;
    private final Duration idleDelay;
    private final Duration maxErrorBackoff;
    private final Sinks.Many<Boolean> wakeUps = Sinks.many().multicast().directBestEffort();
    private final AtomicBoolean running = new AtomicBoolean();
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile CountDownLatch stopped = new CountDownLatch(0);
    private volatile Disposable subscription;
    private int consecutiveErrors;

    /** {@code round} answers whether it was full (more work is likely waiting). */
    SenderLoop(Supplier<Mono<Boolean>> round, Duration idleDelay, Duration maxErrorBackoff) {
        this.round = round;
        this.idleDelay = idleDelay;
        this.maxErrorBackoff = maxErrorBackoff;
    }

    void start() {
        if (!running.compareAndSet(false, true)) {
            return;
        }
        CountDownLatch latch = new CountDownLatch(1);
        stopped = latch;
        subscription = Mono.defer(this::oneRound)
                .repeat(running::get)
                .doFinally(signal -> latch.countDown())
                .subscribe(null, e -> log.error("Webhook sender loop ended unexpectedly", e));
    }

    void requestStop() {
        if (running.compareAndSet(true, false)) {
            wake();
        }
    }

    void awaitStopped(Duration timeout) {
        try {
            if (!stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS) && subscription != null) {
                subscription.dispose();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            subscription.dispose();
        }
    }

    void wake() {
        wakePending.set(true);
        wakeUps.tryEmitNext(Boolean.TRUE);
    }

    private Mono<Void> oneRound() {
        if (!running.get()) {
            return Mono.empty();
        }
        wakePending.set(false);
        return Mono.defer(round)
                .defaultIfEmpty(false)
                .map(full -> {
                    consecutiveErrors = 0;
                    return full ? Duration.ZERO : idleDelay;
                })
                .onErrorResume(e -> {
                    consecutiveErrors++;
                    long base = Math.min(maxErrorBackoff.toMillis(), 100L << Math.min(consecutiveErrors, 16));
                    Duration pause = Duration.ofMillis(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
                    log.warn("Webhook sender round failed ({} in a row); retrying in {}", consecutiveErrors, pause,
                            consecutiveErrors == 1 ? e : null);
                    return Mono.just(pause);
                })
                .flatMap(this::pause);
    }

    private Mono<Void> pause(Duration pause) {
        if (pause.isZero() || !running.get() || wakePending.getAndSet(false)) {
            return Mono.empty();
        }
        return Mono.firstWithSignal(Mono.delay(pause).then(), wakeUps.asFlux().next().then());
    }
}
