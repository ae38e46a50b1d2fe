package com.acme.imageedit.dispatch;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
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

    private final DatabaseClient db;
    private final DispatchProperties properties;

    Reaper(DatabaseClient db, DispatchProperties properties) {
        this.db = db;
        this.properties = properties;
    }

    /** One round; answers how many jobs it changed (a full round means: go again). */
    Mono<Integer> reapOnce() {
        return requeueUnsentSubmits()
                .flatMap(requeued -> settleAmbiguousSubmits()
                        .flatMap(ambiguous -> expireOverdue()
                                .map(expired -> {
                                    long total = requeued + ambiguous + expired;
                                    if (total > 0) {
                                        log.info("Reaper: {} unsent submits requeued, {} ambiguous submits settled ({}), "
                                                + "{} jobs past their deadline expired", requeued, ambiguous,
                                                properties.ambiguousSubmit(), expired);
                                    }
                                    return (int) Math.min(Integer.MAX_VALUE, total);
                                })));
    }

    /** A dead worker's claim whose request never left: nothing exists upstream, so the job simply queues again. */
    private Mono<Long> requeueUnsentSubmits() {
        return db.sql("""
                        update jobs set status = 'QUEUED', leased_by = null, lease_until = null, next_attempt_at = now(),
                               last_error = 'lease of ' || leased_by || ' expired before the submit was sent',
                               version = version + 1
                        where id in (select id from jobs
                                     where leased_by is not null and lease_until < now()
                                       and status = 'SUBMITTING' and submit_sent_at is null
                                     limit :limit for update skip locked)""")
                .bind("limit", LIMIT)
                .fetch().rowsUpdated();
    }

    /**
     * A dead worker's claim whose request may have reached TheRouter: it may have created a job we will never hear of
     * and that will be billed. The configured policy decides between failing it (never pay twice) and retrying it.
     */
    private Mono<Long> settleAmbiguousSubmits() {
        String change = properties.ambiguousSubmit() == DispatchProperties.AmbiguousSubmitPolicy.FAIL
                ? """
                  status = 'FAILED', error_code = 'submit_outcome_unknown', error_type = 'upstream_error',
                  error_message = 'the worker submitting this job stopped before TheRouter answered; the job may '
                      || 'have been created upstream, so it is not submitted again', finished_at = now()"""
                : """
                  status = 'QUEUED', submit_sent_at = null, next_attempt_at = now(),
                  last_error = 'the submitting worker stopped before TheRouter answered; retrying by policy'""";
        return db.sql("update jobs set " + change + """
                        , leased_by = null, lease_until = null, version = version + 1
                        where id in (select id from jobs
                                     where leased_by is not null and lease_until < now()
                                       and status = 'SUBMITTING' and submit_sent_at is not null
                                     limit :limit for update skip locked)""")
                .bind("limit", LIMIT)
                .fetch().rowsUpdated();
    }

    /**
     * Jobs past their deadline end {@code expired}. A submit in flight under a live lease is left to finish first, so
     * that a job TheRouter accepted is recorded (and then expired) rather than forgotten.
     */
    private Mono<Long> expireOverdue() {
        return db.sql("""
                        update jobs set status = 'EXPIRED', error_code = 'deadline_exceeded', error_type = 'timeout_error',
                               error_message = 'the job did not finish before its deadline', finished_at = now(),
                               leased_by = null, lease_until = null, version = version + 1
                        where id in (select id from jobs
                                     where status in ('QUEUED', 'SUBMITTING', 'RUNNING') and deadline_at < now()
                                       and not (status = 'SUBMITTING' and lease_until >= now())
                                     order by deadline_at
                                     limit :limit for update skip locked)""")
                .bind("limit", LIMIT)
                .fetch().rowsUpdated();
    }
}
