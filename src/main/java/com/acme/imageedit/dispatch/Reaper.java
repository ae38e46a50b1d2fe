package com.acme.imageedit.dispatch;

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

    Reaper(JobTransitions transitions, DispatchProperties properties, MeterRegistry meters) {
        this.transitions = transitions;
        this.properties = properties;
        this.ambiguousSettled = AmbiguousSubmits.counter(meters, properties.ambiguousSubmit(), "worker_lost");
    }

    /** One round; answers how many jobs it changed (a full round means: go again). */
    Mono<Integer> reapOnce() {
        Mono<Long> ambiguous = properties.ambiguousSubmit() == DispatchProperties.AmbiguousSubmitPolicy.FAIL
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
                });
    }
}
