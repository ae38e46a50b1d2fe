package com.acme.imageedit.dispatch;

import java.time.Duration;

import com.acme.imageedit.jobs.JobTransitions;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * Cleans up after workers that died and jobs that ran out of time. Every statement claims with SKIP LOCKED and a limit,
 * so several replicas' reapers run side by side without blocking each other or a worker.
 */
@Component
class Reaper {

    private static final Logger log = LoggerFactory.getLogger(Reaper.class);
    private static final int LIMIT = 500;

    private final JobTransitions transitions;
    private final DispatchProperties properties;
    private final Counter ambiguousSettled;
    /** When this replica's reaper found the database reachable after startup or its last failed round. */
    private volatile Long reachableSince;

    Reaper(JobTransitions transitions, DispatchProperties properties, MeterRegistry meters) {
        this.transitions = transitions;
        this.properties = properties;
        this.ambiguousSettled = AmbiguousSubmits.counter(meters, properties.ambiguousSubmit(), "worker_lost");
    }

    /**
     * One round; answers how many jobs it changed (a full round means: go again). Submits sent but not recorded are
     * judged only once the database has been reachable for {@code reconnect-grace}: after an outage every lease has
     * run out, also those of live workers that hold TheRouter's answer and are about to record it; judging those
     * ambiguous would fail (or resubmit) jobs that TheRouter accepted and we know.
     */
    Mono<Integer> reapOnce() {
        boolean settle = reachableSince != null
                && Duration.ofNanos(System.nanoTime() - reachableSince).compareTo(properties.reconnectGrace()) >= 0;
        Mono<Long> ambiguous = !settle ? Mono.just(0L)
                : properties.ambiguousSubmit() == DispatchProperties.AmbiguousSubmitPolicy.FAIL
                ? transitions.failAmbiguousSubmits(LIMIT).count()
                : transitions.requeueAmbiguousSubmits(LIMIT);
        return Mono.zip(transitions.requeueUnsentSubmits(LIMIT), ambiguous, transitions.expireOverdue(LIMIT).count())
                .map(counts -> {
                    ambiguousSettled.increment(counts.getT2());
                    long total = counts.getT1() + counts.getT2() + counts.getT3();
                    if (total > 0) {
                        log.info("Reaper: {} unsent submits requeued, {} ambiguous submits settled ({}), {} jobs past "
                                + "their deadline expired", counts.getT1(), counts.getT2(),
                                properties.ambiguousSubmit(), counts.getT3());
                    }
                    return (int) Math.min(Integer.MAX_VALUE, total);
                })
                .doOnSuccess(n -> {
                    if (reachableSince == null) {
                        reachableSince = System.nanoTime();
                    }
                })
                .doOnError(e -> reachableSince = null);
    }
}
