package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.concurrent.atomic.AtomicInteger;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

/** The loop's pauses, without a database: a round that found less than a full batch, and when the next work is due. */
class WorkerLoopTest {

    private static final Duration IDLE = Duration.ofMinutes(10);

    private final AtomicInteger rounds = new AtomicInteger();
    private WorkerLoop loop;

    @AfterEach
    void stop() {
        loop.requestStop();
        loop.awaitStopped(Duration.ofSeconds(5));
    }

    @Test
    void aRoundThatFoundLittleWaitsOnlyUntilTheNextWorkIsDue() {
        loop = new WorkerLoop("test", this::emptyRound, 10, IDLE, Duration.ofSeconds(1),
                () -> Mono.just(Duration.ofMillis(50)));
        loop.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() >= 3);
    }

    @Test
    void overdueWorkDoesNotMakeTheLoopSpin() {
        loop = new WorkerLoop("test", this::emptyRound, 10, Duration.ofMillis(200), Duration.ofSeconds(1),
                () -> Mono.just(Duration.ofSeconds(-5)));
        loop.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() >= 3);
        // at least a millisecond between rounds: nowhere near a busy loop's millions
        int before = rounds.get();
        await().pollDelay(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> true);
        assertThat(rounds.get() - before).isLessThan(1_000);
    }

    @Test
    void withoutADueTimeTheLoopTakesItsIdlePause() {
        loop = new WorkerLoop("test", this::emptyRound, 10, IDLE, Duration.ofSeconds(1), Mono::empty);
        loop.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() == 1);
        await().during(Duration.ofMillis(500)).atMost(Duration.ofSeconds(2)).until(() -> rounds.get() == 1);
        loop.wake();
        await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() == 2);
    }

    @Test
    void aDueTimeBeyondTheIdlePauseDoesNotLengthenIt() {
        loop = new WorkerLoop("test", this::emptyRound, 10, Duration.ofMillis(50), Duration.ofSeconds(1),
                () -> Mono.just(Duration.ofHours(1)));
        loop.start();
        await().atMost(Duration.ofSeconds(5)).until(() -> rounds.get() >= 3);
    }

    private Mono<Integer> emptyRound() {
        rounds.incrementAndGet();
        return Mono.just(0);
    }
}
