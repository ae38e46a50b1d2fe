package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.function.UnaryOperator;

import com.acme.imageedit.system.Bytea;
import org.jspecify.annotations.Nullable;
import org.springframework.context.ApplicationEventPublisher;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The state machine's moves for the workers. Each is one UPDATE guarded by the status and the version the worker read,
 * so that a worker whose lease was taken over (or whose job was expired meanwhile) changes nothing. Each returns the
 * job's new version, or empty when the guard did not hold.
 */
@Component
public class JobTransitions {

    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final ApplicationEventPublisher events;

    JobTransitions(DatabaseClient db, TransactionalOperator tx, ApplicationEventPublisher events) {
        this.db = db;
        this.tx = tx;
        this.events = events;
    }

    /**
     * Records that the submit request is about to leave. From here on, a crash leaves a job that may exist upstream:
     * the reaper then applies the ambiguous-submit policy instead of simply requeueing it.
     */
    public Mono<Long> markSubmitSent(String id, long version) {
        return update("""
                update jobs set submit_sent_at = now(), submitted_by = leased_by, submit_attempts = submit_attempts + 1,
                       version = version + 1
                where id = :id and version = :version and status = 'SUBMITTING'
                returning version""", id, version, spec -> spec);
    }

    /** TheRouter accepted the job: from now on it is polled, never submitted again. */
    public Mono<Long> submitted(String id, long version, String upstreamId, String upstreamStatus,
                                Duration firstPoll) {
        return update("""
                update jobs set status = 'RUNNING', upstream_id = :upstream, upstream_status = :upstreamStatus,
                       submitted_at = now(), next_attempt_at = now() + :delay * interval '1 millisecond',
                       leased_by = null, lease_until = null, last_error = null, version = version + 1
                where id = :id and version = :version and status = 'SUBMITTING'
                returning version""", id, version, spec -> spec
                .bind("upstream", upstreamId)
                .bind("upstreamStatus", upstreamStatus)
                .bind("delay", firstPoll.toMillis()));
    }

    /** The submit did not happen (or certainly created nothing): back to the queue, tried again after {@code delay}. */
    public Mono<Long> requeue(String id, long version, Duration delay, String reason) {
        return update("""
                update jobs set status = 'QUEUED', submit_sent_at = null, leased_by = null, lease_until = null,
                       next_attempt_at = now() + :delay * interval '1 millisecond', last_error = :reason,
                       version = version + 1
                where id = :id and version = :version and status = 'SUBMITTING'
                returning version""", id, version, spec -> spec
                .bind("delay", delay.toMillis())
                .bind("reason", reason));
    }

    /** Still running upstream (or the poll failed in a way worth retrying): poll again after {@code delay}. */
    public Mono<Long> pollAgain(String id, long version, String upstreamStatus, Duration delay, String problem) {
        return pollAgain(id, version, upstreamStatus, delay, problem, null);
    }

    /**
     * The same, for a poll that was answered {@code lateMillis} after it was due (kept for the next poll's run-time
     * sample; null: no answer, or not known).
     */
    public Mono<Long> pollAgain(String id, long version, String upstreamStatus, Duration delay, String problem,
                                Long lateMillis) {
        return update("""
                update jobs set upstream_status = coalesce(:upstreamStatus, upstream_status),
                       poll_count = poll_count + 1, last_error = :problem, last_poll_late_ms = :late,
                       next_attempt_at = now() + :delay * interval '1 millisecond',
                       leased_by = null, lease_until = null, version = version + 1
                where id = :id and version = :version and status = 'RUNNING'
                returning version""", id, version, spec -> spec
                .bind("upstreamStatus", Parameter.fromOrEmpty(upstreamStatus,
                        String.class))
                .bind("problem", Parameter.fromOrEmpty(problem, String.class))
                .bind("late", Parameter.fromOrEmpty(lateMillis == null ? null : Math.max(0, lateMillis), Long.class))
                .bind("delay", delay.toMillis()));
    }

    /**
     * TheRouter reported the job succeeded, but its result could not be fetched as an image this time: counts the try
     * (and when the first one failed), and polls again after {@code delay}.
     */
    public Mono<Long> resultUnusable(String id, long version, Duration delay, String problem) {
        return update("""
                update jobs set upstream_status = 'succeeded', poll_count = poll_count + 1,
                       result_attempts = result_attempts + 1,
                       result_failing_since = coalesce(result_failing_since, now()), last_error = :problem,
                       next_attempt_at = now() + :delay * interval '1 millisecond',
                       leased_by = null, lease_until = null, version = version + 1
                where id = :id and version = :version and status = 'RUNNING'
                returning version""", id, version, spec -> spec
                .bind("problem", problem)
                .bind("delay", delay.toMillis()));
    }

    /** Stores the result and ends the job {@code succeeded}, in one transaction. */
    public Mono<Long> succeed(String id, long version, String contentType, byte[] image) {
        ImageInfo info = ImageSniffer.sniff(image).orElse(null);
        Mono<Finished> transition = db.sql("""
                        update jobs set status = 'SUCCEEDED', upstream_status = 'succeeded', finished_at = now(),
                               poll_count = poll_count + 1, leased_by = null, lease_until = null, last_error = null,
                               version = version + 1
                        where id = :id and version = :version and status = 'RUNNING'
                        returning version,\s""" + JobFinished.COLUMNS)
                .bind("id", id).bind("version", version)
                .map((row, meta) -> new Finished(row.get("version", Long.class), JobFinished.from(row)))
                .one();
        Mono<Long> store = db.sql("""
                        insert into job_images (job_id, role, content_type, width, height, bytes, purge_at)
                        select id, 'RESULT', :type, :width, :height, :bytes, expires_at from jobs where id = :id
                        on conflict (job_id, role) do update set content_type = excluded.content_type,
                            width = excluded.width, height = excluded.height, bytes = excluded.bytes,
                            purge_at = excluded.purge_at""")
                .bind("id", id)
                .bind("type", contentType)
                .bind("width", Parameter.fromOrEmpty(info == null ? null : info.width(), Integer.class))
                .bind("height", Parameter.fromOrEmpty(info == null ? null : info.height(), Integer.class))
                .bind("bytes", new Bytea(image))
                .fetch().rowsUpdated();
        // The transition first: when its guard fails, the image is never written.
        return transition.flatMap(finished -> store.thenReturn(finished)).as(tx::transactional).map(this::published);
    }

    /** Ends the job in a terminal state other than {@code succeeded}, with a stable error code. */
    public Mono<Long> finish(String id, long version, JobStatus status, String code, String type, String message) {
        if (!status.isTerminal() || status == JobStatus.SUCCEEDED) {
            throw new IllegalArgumentException("finish() ends jobs unsuccessfully, not in " + status);
        }
        return db.sql("""
                        update jobs set status = :status, error_code = :code, error_type = :type,
                               error_message = :message, finished_at = now(), leased_by = null, lease_until = null,
                               version = version + 1
                        where id = :id and version = :version and status in ('QUEUED', 'SUBMITTING', 'RUNNING')
                        returning version,\s""" + JobFinished.COLUMNS)
                .bind("id", id).bind("version", version)
                .bind("status", status.name())
                .bind("code", code)
                .bind("type", type)
                .bind("message", message)
                .map((row, meta) -> new Finished(row.get("version", Long.class), JobFinished.from(row)))
                .one()
                .map(this::published);
    }

    /**
     * The client's cancel: a queued job, a running one (no longer polled; TheRouter has no cancel, so the settlement
     * trigger charges it), or one claimed for submit whose request has not left (the dispatcher's "sent" mark then
     * fails its version guard, so it is never sent). A submit already on the wire is not cancelled here: its outcome
     * decides whether TheRouter bills it, and it is known within moments. Empty when the guard does not hold.
     *
     * @param teamId the caller's team, or null for an admin
     */
    Mono<JobFinished> cancel(String id, @Nullable String teamId) {
        return db.sql("""
                        update jobs set status = 'CANCELLED', error_code = 'cancelled_by_client', error_type = 'cancelled',
                               error_message = 'cancelled at the request of its team', finished_at = now(),
                               leased_by = null, lease_until = null, version = version + 1
                        where id = :id and (:admin or team_id = :team)
                          and (status in ('QUEUED', 'RUNNING') or (status = 'SUBMITTING' and submit_sent_at is null))
                        returning version,\s""" + JobFinished.COLUMNS)
                .bind("id", id)
                .bind("admin", teamId == null)
                .bind("team", teamId == null ? "" : teamId)
                .map((row, meta) -> new Finished(row.get("version", Long.class), JobFinished.from(row)))
                .one()
                .map(finished -> {
                    events.publishEvent(finished.event());
                    return finished.event();
                });
    }

    /**
     * Jobs past their deadline end {@code expired}. A submit in flight under a live lease is left to finish first, so
     * that a job TheRouter accepted is recorded (and then expired) rather than forgotten.
     */
    public Flux<JobFinished> expireOverdue(int limit) {
        return bulkFinish("""
                update jobs set status = 'EXPIRED', error_code = 'deadline_exceeded', error_type = 'timeout_error',
                       error_message = 'the job did not finish before its deadline', finished_at = now(),
                       leased_by = null, lease_until = null, version = version + 1
                where id in (select id from jobs
                             where status in ('QUEUED', 'SUBMITTING', 'RUNNING') and deadline_at < now()
                               and not (status = 'SUBMITTING' and lease_until >= now())
                             order by deadline_at
                             limit :limit for update skip locked)
                returning\s""" + JobFinished.COLUMNS, limit);
    }

    /**
     * Submits whose worker died after the request left (lease expired, {@code submit_sent_at} set) end
     * {@code failed}: TheRouter may have created, and will bill, a job we never heard of, so it is not sent again.
     */
    public Flux<JobFinished> failAmbiguousSubmits(int limit) {
        return bulkFinish("""
                update jobs set status = 'FAILED', error_code = 'submit_outcome_unknown', error_type = 'upstream_error',
                       error_message = 'the worker submitting this job stopped before TheRouter answered; the job '
                           || 'may have been created upstream, so it is not submitted again',
                       finished_at = now(), leased_by = null, lease_until = null, version = version + 1
                where id in (select id from jobs
                             where leased_by is not null and lease_until < now()
                               and status = 'SUBMITTING' and submit_sent_at is not null
                             limit :limit for update skip locked)
                returning\s""" + JobFinished.COLUMNS, limit);
    }

    /** The same dead submits, queued again instead, for the {@code retry} policy (at the risk of paying twice). */
    public Mono<Long> requeueAmbiguousSubmits(int limit) {
        return db.sql("""
                        update jobs set status = 'QUEUED', submit_sent_at = null, next_attempt_at = now(),
                               last_error = 'the submitting worker stopped before TheRouter answered; retried by policy',
                               leased_by = null, lease_until = null, version = version + 1
                        where id in (select id from jobs
                                     where leased_by is not null and lease_until < now()
                                       and status = 'SUBMITTING' and submit_sent_at is not null
                                     limit :limit for update skip locked)""")
                .bind("limit", limit)
                .fetch().rowsUpdated();
    }

    /** A dead worker's claim whose request never left: nothing exists upstream, so the job simply queues again. */
    public Mono<Long> requeueUnsentSubmits(int limit) {
        return db.sql("""
                        update jobs set status = 'QUEUED', leased_by = null, lease_until = null, next_attempt_at = now(),
                               last_error = 'lease of ' || leased_by || ' expired before the submit was sent',
                               version = version + 1
                        where id in (select id from jobs
                                     where leased_by is not null and lease_until < now()
                                       and status = 'SUBMITTING' and submit_sent_at is null
                                     limit :limit for update skip locked)""")
                .bind("limit", limit)
                .fetch().rowsUpdated();
    }

    private Flux<JobFinished> bulkFinish(String sql, int limit) {
        return db.sql(sql).bind("limit", limit)
                .map((row, meta) -> JobFinished.from(row))
                .all()
                .doOnNext(events::publishEvent);
    }

    /** Carries the finished job from the UPDATE to after the commit, where its event is published. */
    private record Finished(long version, JobFinished event) {
    }

    /** Called once the transition has committed: only then may others act on it. */
    private long published(Finished finished) {
        events.publishEvent(finished.event());
        return finished.version();
    }

    private Mono<Long> update(String sql, String id, long version,
                              UnaryOperator<DatabaseClient.GenericExecuteSpec> binds) {
        return binds.apply(db.sql(sql).bind("id", id).bind("version", version))
                .map((row, meta) -> row.get("version", Long.class))
                .one();
    }
}
