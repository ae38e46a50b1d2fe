package com.acme.imageedit.dispatch;

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
 * Runs one kind of work round after round, and never dies: an error is logged and followed by a growing pause (so a
 * database outage is ridden out without a restart), a full round is followed at once by the next, an empty one by the
 * idle pause, which {@link #wake()} cuts short, and which is shorter when the work says when it is next due.
 */
final class WorkerLoop {

    private static final Logger log = LoggerFactory.getLogger(WorkerLoop.class);
    private static final Duration MIN_PAUSE = Duration.ofMillis(1);

    private final String name;
    private final Supplier<Mono<Integer>> round;
    private final int fullRound;
    private final Duration idleDelay;
    private final Duration maxErrorBackoff;
    private final Supplier<Mono<Duration>> nextDue;
    private final Sinks.Many<Boolean> wakeUps = Sinks.many().multicast().directBestEffort();
    private final AtomicBoolean running = new AtomicBoolean();
    /** A wake-up that came while a round was running must not be lost: the next pause is then skipped. */
    private final AtomicBoolean wakePending = new AtomicBoolean();
    private volatile CountDownLatch stopped = new CountDownLatch(0);
    private volatile Disposable subscription;
    private int consecutiveErrors;

    WorkerLoop(String name, Supplier<Mono<Integer>> round, int fullRound, Duration idleDelay,
               Duration maxErrorBackoff) {
        this(name, round, fullRound, idleDelay, maxErrorBackoff, () -> Mono.just(idleDelay));
    }

    /**
     * With {@code nextDue}: after a round that was not full, how long until the next piece of work is due (empty or
     * longer than the idle pause: the idle pause), so that work due in between is not kept waiting for the pause.
     */
    WorkerLoop(String name, Supplier<Mono<Integer>> round, int fullRound, Duration idleDelay,
               Duration maxErrorBackoff, Supplier<Mono<Duration>> nextDue) {
        this.nextDue = nextDue;
        this.name = name;
        this.round = round;
        this.fullRound = fullRound;
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
                .subscribe(null, e -> log.error("Worker loop {} ended unexpectedly", name, e));
        log.debug("Worker loop {} started", name);
    }

    /** Stops claiming new work; the round in progress goes on to its end. */
    void requestStop() {
        if (running.compareAndSet(true, false)) {
            wake();
        }
    }

    /** Waits up to {@code timeout} for the round in progress to finish; abandons it after that. */
    boolean awaitStopped(Duration timeout) {
        try {
            boolean finished = stopped.await(timeout.toMillis(), TimeUnit.MILLISECONDS);
            if (!finished) {
                log.warn("Worker loop {} did not finish its round within {}; abandoning it", name, timeout);
                subscription.dispose();
            }
            return finished;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            subscription.dispose();
            return false;
        }
    }

    void wake() {
        wakePending.set(true);
        wakeUps.tryEmitNext(Boolean.TRUE);
    }

    boolean isRunning() {
        return running.get();
    }

    private Mono<Void> oneRound() {
        if (!running.get()) {
            return Mono.empty();
        }
        wakePending.set(false);
        return Mono.defer(round)
                .defaultIfEmpty(0)
                .flatMap(done -> {
                    consecutiveErrors = 0;
                    return done >= fullRound ? Mono.just(Duration.ZERO) : idlePause();
                })
                .onErrorResume(e -> {
                    consecutiveErrors++;
                    Duration pause = errorPause(consecutiveErrors);
                    if (consecutiveErrors == 1) {
                        log.warn("Worker loop {} failed a round; retrying in {}", name, pause, e);
                    } else {
                        log.warn("Worker loop {} failed {} rounds in a row ({}); retrying in {}", name,
                                consecutiveErrors, e.toString(), pause);
                    }
                    return Mono.just(pause);
                })
                .flatMap(this::pause);
    }

    /** The idle pause, cut to when the next work is due; never below a millisecond, so the loop cannot spin. */
    private Mono<Duration> idlePause() {
        return Mono.defer(nextDue)
                .map(due -> due.compareTo(idleDelay) >= 0 ? idleDelay
                        : due.compareTo(MIN_PAUSE) <= 0 ? MIN_PAUSE : due)
                .defaultIfEmpty(idleDelay);
    }

    private Mono<Void> pause(Duration pause) {
        if (pause.isZero() || !running.get() || wakePending.getAndSet(false)) {
            return Mono.empty();
        }
        return Mono.firstWithSignal(Mono.delay(pause).then(), wakeUps.asFlux().next().then());
    }

    private Duration errorPause(int errors) {
        long base = Math.min(maxErrorBackoff.toMillis(), 100L << Math.min(errors, 16));
        return Duration.ofMillis(base / 2 + ThreadLocalRandom.current().nextLong(base / 2 + 1));
    }
}
