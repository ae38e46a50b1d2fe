package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.function.UnaryOperator;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Component;
import org.springframework.transaction.reactive.TransactionalOperator;
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

    JobTransitions(DatabaseClient db, TransactionalOperator tx) {
        this.db = db;
        this.tx = tx;
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
        return update("""
                update jobs set upstream_status = coalesce(:upstreamStatus, upstream_status),
                       poll_count = poll_count + 1, last_error = :problem,
                       next_attempt_at = now() + :delay * interval '1 millisecond',
                       leased_by = null, lease_until = null, version = version + 1
                where id = :id and version = :version and status = 'RUNNING'
                returning version""", id, version, spec -> spec
                .bind("upstreamStatus", Parameter.fromOrEmpty(upstreamStatus,
                        String.class))
                .bind("problem", Parameter.fromOrEmpty(problem, String.class))
                .bind("delay", delay.toMillis()));
    }

    /** Stores the result and ends the job {@code succeeded}, in one transaction. */
    public Mono<Long> succeed(String id, long version, String contentType, byte[] image) {
        ImageInfo info = ImageSniffer.sniff(image).orElse(null);
        Mono<Long> transition = update("""
                update jobs set status = 'SUCCEEDED', upstream_status = 'succeeded', finished_at = now(),
                       poll_count = poll_count + 1, leased_by = null, lease_until = null, last_error = null,
                       version = version + 1
                where id = :id and version = :version and status = 'RUNNING'
                returning version""", id, version, spec -> spec);
        Mono<Long> store = db.sql("""
                        insert into job_images (job_id, role, content_type, width, height, bytes)
                        values (:id, 'RESULT', :type, :width, :height, :bytes)
                        on conflict (job_id, role) do update set content_type = excluded.content_type,
                            width = excluded.width, height = excluded.height, bytes = excluded.bytes""")
                .bind("id", id)
                .bind("type", contentType)
                .bind("width", Parameter.fromOrEmpty(info == null ? null : info.width(), Integer.class))
                .bind("height", Parameter.fromOrEmpty(info == null ? null : info.height(), Integer.class))
                .bind("bytes", image)
                .fetch().rowsUpdated();
        // The transition first: when its guard fails, the image is never written.
        return transition.flatMap(newVersion -> store.thenReturn(newVersion)).as(tx::transactional);
    }

    /** Ends the job in a terminal state other than {@code succeeded}, with a stable error code. */
    public Mono<Long> finish(String id, long version, JobStatus status, String code, String type, String message) {
        if (!status.isTerminal() || status == JobStatus.SUCCEEDED) {
            throw new IllegalArgumentException("finish() ends jobs unsuccessfully, not in " + status);
        }
        return update("""
                update jobs set status = :status, error_code = :code, error_type = :type, error_message = :message,
                       finished_at = now(), leased_by = null, lease_until = null, version = version + 1
                where id = :id and version = :version and status in ('QUEUED', 'SUBMITTING', 'RUNNING')
                returning version""", id, version, spec -> spec
                .bind("status", status.name())
                .bind("code", code)
                .bind("type", type)
                .bind("message", message));
    }

    private Mono<Long> update(String sql, String id, long version,
                              UnaryOperator<DatabaseClient.GenericExecuteSpec> binds) {
        return binds.apply(db.sql(sql).bind("id", id).bind("version", version))
                .map((row, meta) -> row.get("version", Long.class))
                .one();
    }
}
