package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.util.Optional;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Claims and leases, in the db-scheduler manner: one UPDATE over a {@code FOR UPDATE SKIP LOCKED} sub-select, so that
 * replicas never wait on each other and never claim the same job; no SELECT-then-UPDATE window.
 */
@Component
class JobClaims {

    /**
     * The fair-share submit claim ({@link #claimForSubmit}); named parameters {@code :worker}, {@code :lease} (ms) and
     * {@code :limit}. A constant so that the query-plan benchmark explains exactly this text.
     */
    static final String CLAIM_FOR_SUBMIT = """
                update jobs set status = 'SUBMITTING', leased_by = :worker,
                       lease_until = now() + :lease * interval '1 millisecond', version = version + 1
                where id in (
                    select id from (
                        select c.id, c.next_attempt_at,
                               row_number() over (partition by c.team_id order by c.next_attempt_at) as turn
                        from teams t
                        cross join lateral (
                            select j.id, j.team_id, j.next_attempt_at from jobs j
                            where j.team_id = t.id and j.status = 'QUEUED' and j.next_attempt_at <= now()
                            order by j.next_attempt_at
                            limit case when t.max_in_flight is null then :limit
                                       else least(:limit, greatest(0, t.max_in_flight
                                            - (select count(*) from jobs f where f.team_id = t.id
                                                 and f.status in ('SUBMITTING', 'RUNNING'))))
                                  end
                            for update of j skip locked) c
                    ) ranked
                    order by turn, next_attempt_at
                    limit :limit)
                returning\s""" + ClaimedJob.COLUMNS;

    /**
     * The most-overdue-first poll claim ({@link #claimForPoll}); the same parameters. Served by the partial index
     * {@code jobs_running_due}, which holds running jobs only, however many finished jobs the table keeps.
     */
    static final String CLAIM_FOR_POLL = """
                update jobs set leased_by = :worker, lease_until = now() + :lease * interval '1 millisecond',
                       next_attempt_at = now() + :lease * interval '1 millisecond', version = version + 1,
                       last_poll_at = now()
                from (select id as due_id, last_poll_at as previous_poll_at, next_attempt_at as due_at from jobs
                      where status = 'RUNNING' and next_attempt_at <= now()
                      order by next_attempt_at
                      limit :limit
                      for update skip locked) due
                where id = due.due_id
                returning previous_poll_at, (extract(epoch from now() - due.due_at) * 1000)::bigint as late_ms,
                          last_poll_late_ms as previous_late_ms,\s""" + ClaimedJob.COLUMNS;

    private final DatabaseClient db;

    JobClaims(DatabaseClient db) {
        this.db = db;
    }

    /**
     * Takes up to {@code limit} due queued jobs and moves them to SUBMITTING under a lease, in fair shares: each team's
     * oldest due jobs are taken in turns (every team's first, then every team's second, …), and never more than a team's
     * free in-flight slots. So one team's backlog of thousands delays another team's next job by at most a round.
     * The in-flight cap is counted without locking the team, so replicas claiming at the same instant may exceed it by
     * up to a batch each.
     */
    Flux<ClaimedJob> claimForSubmit(String worker, int limit, Duration lease) {
        return db.sql(CLAIM_FOR_SUBMIT)
                .bind("worker", worker)
                .bind("lease", lease.toMillis())
                .bind("limit", limit)
                .map((row, meta) -> ClaimedJob.from(row))
                .all();
    }

    /**
     * Takes up to {@code limit} running jobs due for a poll, most overdue first. The lease also moves the job's next
     * poll to the lease's end, so a worker that dies mid-poll simply makes the job due again when its lease runs out.
     * It also stamps {@code last_poll_at} and answers the previous stamp: the two bound when a job that this poll finds
     * finished finished upstream. And it answers how late the claim came after the poll was due, and how late the previous
     * poll's answer came.
     */
    Flux<ClaimedJob> claimForPoll(String worker, int limit, Duration lease) {
        return db.sql(CLAIM_FOR_POLL)
                .bind("worker", worker)
                .bind("lease", lease.toMillis())
                .bind("limit", limit)
                .map((row, meta) -> ClaimedJob.fromPoll(row))
                .all();
    }

    /** Time until the earliest running job's poll is due (negative when overdue); empty when none is running. */
    Mono<Duration> untilNextPoll() {
        return db.sql("""
                        select (extract(epoch from min(next_attempt_at) - now()) * 1000)::bigint as wait_ms
                        from jobs where status = 'RUNNING'""")
                .map((row, meta) -> Optional.ofNullable(row.get("wait_ms", Long.class)))
                .one()
                .flatMap(wait -> Mono.justOrEmpty(wait.map(Duration::ofMillis)));
    }

    Mono<InputImage> inputImage(String jobId) {
        return db.sql("select content_type, bytes from job_images where job_id = :id and role = 'INPUT'")
                .bind("id", jobId)
                .map((row, meta) -> new InputImage(row.get("content_type", String.class),
                        row.get("bytes", byte[].class)))
                .one();
    }

    /**
     * Gives back what this worker still holds at shutdown: unsent submits go back to the queue, running jobs become due
     * for a poll. A submit already sent keeps its lease for the reaper to judge, as after a crash.
     */
    Mono<Long> releaseLeases(String worker) {
        return db.sql("""
                        update jobs set status = case when status = 'SUBMITTING' then 'QUEUED' else status end,
                               next_attempt_at = now(), leased_by = null, lease_until = null, version = version + 1
                        where leased_by = :worker
                          and (status = 'RUNNING' or (status = 'SUBMITTING' and submit_sent_at is null))""")
                .bind("worker", worker)
                .fetch().rowsUpdated();
    }
}
