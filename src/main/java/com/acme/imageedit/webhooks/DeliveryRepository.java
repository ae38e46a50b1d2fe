package com.acme.imageedit.webhooks;

import java.time.Duration;
import java.time.Instant;
import java.util.List;

import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * The outbox's SQL: claims with leases (the db-scheduler manner of dispatch/JobClaims: one UPDATE over a
 * {@code FOR UPDATE SKIP LOCKED} sub-select), the outcome of each attempt, and the delivery log.
 */
@Repository
class DeliveryRepository {

    private final DatabaseClient db;
    private final TransactionalOperator tx;

    DeliveryRepository(DatabaseClient db, TransactionalOperator tx) {
        this.db = db;
        this.tx = tx;
    }

    /**
     * Takes up to {@code limit} due deliveries, oldest first, at most {@code perHost} in flight per target host (those
     * other replicas hold included), so that one slow or dead receiver cannot take every slot. A delivery whose holder
     * died becomes due again when its lease ends.
     */
    Flux<Delivery> claim(String worker, int limit, Duration lease, int perHost) {
        return db.sql("""
                        update webhook_deliveries set leased_by = :worker,
                               lease_until = now() + :lease * interval '1 millisecond', version = version + 1
                        where id in (
                            select id from (
                                select c.id, c.next_attempt_at,
                                       row_number() over (partition by c.host order by c.next_attempt_at) as turn,
                                       (select count(*) from webhook_deliveries f
                                        where f.host = c.host and f.status = 'PENDING' and f.leased_by is not null
                                          and f.lease_until >= now()) as busy
                                from (select id, host, next_attempt_at from webhook_deliveries
                                      where status = 'PENDING' and next_attempt_at <= now()
                                        and (lease_until is null or lease_until < now())
                                      order by next_attempt_at
                                      limit :scan
                                      for update skip locked) c
                            ) ranked
                            where turn <= :perHost - busy
                            order by next_attempt_at
                            limit :limit)
                        returning\s""" + Delivery.COLUMNS)
                .bind("worker", worker)
                .bind("lease", lease.toMillis())
                .bind("limit", limit)
                .bind("scan", limit * 4)
                .bind("perHost", perHost)
                .map((row, meta) -> Delivery.from(row))
                .all();
    }

    /** The envelope as first rendered: a second renderer (after a takeover) gets the first one's, unchanged. */
    Mono<String> storeBody(String id, String body) {
        return db.sql("update webhook_deliveries set body = coalesce(body, :body) where id = :id returning body")
                .bind("id", id)
                .bind("body", body)
                .map((row, meta) -> row.get("body", String.class))
                .one();
    }

    /**
     * Records one attempt and what follows from it, in one transaction, if this worker still holds the delivery:
     * {@code nextAttemptAt} null ends it ({@code DELIVERED} or {@code FAILED}), otherwise it waits for its next attempt.
     */
    Mono<Boolean> recordAttempt(Delivery delivery, String worker, Instant startedAt, Integer statusCode,
                                long latencyMs, String error, String status, Instant nextAttemptAt) {
        Mono<Integer> update = db.sql("""
                        update webhook_deliveries set attempts = attempts + 1, round_attempts = round_attempts + 1,
                               status = :status, last_status = :code, last_error = :error,
                               next_attempt_at = coalesce(:next, next_attempt_at),
                               delivered_at = case when :status = 'DELIVERED' then now() else delivered_at end,
                               finished_at = case when :status = 'PENDING' then null else now() end,
                               leased_by = null, lease_until = null, version = version + 1
                        where id = :id and version = :version and leased_by = :worker
                        returning attempts""")
                .bind("id", delivery.id())
                .bind("version", delivery.version())
                .bind("worker", worker)
                .bind("status", status)
                .bind("code", Parameter.fromOrEmpty(statusCode, Integer.class))
                .bind("error", Parameter.fromOrEmpty(error, String.class))
                .bind("next", Parameter.fromOrEmpty(nextAttemptAt, Instant.class))
                .map((row, meta) -> row.get("attempts", Integer.class))
                .one();
        return update.flatMap(attempt -> db.sql("""
                                insert into webhook_attempts (delivery_id, attempt, worker, started_at, status_code,
                                                              latency_ms, error)
                                values (:id, :attempt, :worker, :started, :code, :latency, :error)""")
                        .bind("id", delivery.id())
                        .bind("attempt", attempt)
                        .bind("worker", worker)
                        .bind("started", startedAt)
                        .bind("code", Parameter.fromOrEmpty(statusCode, Integer.class))
                        .bind("latency", (int) Math.min(Integer.MAX_VALUE, latencyMs))
                        .bind("error", Parameter.fromOrEmpty(error, String.class))
                        .fetch().rowsUpdated()
                        .thenReturn(true))
                .defaultIfEmpty(false)
                .as(tx::transactional);
    }

    /** Ends a delivery that cannot be attempted (its subscription is gone or disabled, its job deleted). */
    Mono<Boolean> abandon(Delivery delivery, String worker, String reason) {
        return db.sql("""
                        update webhook_deliveries set status = 'FAILED', last_error = :reason, finished_at = now(),
                               leased_by = null, lease_until = null, version = version + 1
                        where id = :id and version = :version and leased_by = :worker""")
                .bind("id", delivery.id())
                .bind("version", delivery.version())
                .bind("worker", worker)
                .bind("reason", reason)
                .fetch().rowsUpdated()
                .map(rows -> rows > 0);
    }

    Flux<Delivery> list(TeamPrincipal caller, String jobId, String subscriptionId, String status, int limit) {
        return db.sql("select " + Delivery.COLUMNS + """
                         from webhook_deliveries
                        where (:admin or team_id = :team)
                          and (cast(:job as text) is null or job_id = :job)
                          and (cast(:subscription as text) is null or subscription_id = :subscription)
                          and (cast(:status as text) is null or status = :status)
                        order by created_at desc, id desc
                        limit :limit""")
                .bind("admin", caller.admin())
                .bind("team", caller.admin() ? "" : caller.teamId())
                .bind("job", Parameter.fromOrEmpty(jobId, String.class))
                .bind("subscription", Parameter.fromOrEmpty(subscriptionId, String.class))
                .bind("status", Parameter.fromOrEmpty(status, String.class))
                .bind("limit", limit)
                .map((row, meta) -> Delivery.from(row))
                .all();
    }

    Mono<Delivery> find(String id, TeamPrincipal caller) {
        return db.sql("select " + Delivery.COLUMNS + " from webhook_deliveries where id = :id "
                        + "and (:admin or team_id = :team)")
                .bind("id", id)
                .bind("admin", caller.admin())
                .bind("team", caller.admin() ? "" : caller.teamId())
                .map((row, meta) -> Delivery.from(row))
                .one();
    }

    Mono<List<Attempt>> attempts(String deliveryId) {
        return db.sql("select * from webhook_attempts where delivery_id = :id order by attempt")
                .bind("id", deliveryId)
                .map((row, meta) -> Attempt.from(row))
                .all()
                .collectList();
    }

    /**
     * Manual redelivery: the delivery is due now with a fresh retry schedule, under the same webhook-id and body.
     * One held by a sender right now is left alone (empty answer), so that it is not sent twice at once.
     */
    Mono<Delivery> redeliver(String id, TeamPrincipal caller) {
        return db.sql("""
                        update webhook_deliveries set status = 'PENDING', round_attempts = 0, next_attempt_at = now(),
                               finished_at = null, version = version + 1
                        where id = :id and (:admin or team_id = :team)
                          and not (leased_by is not null and lease_until >= now())
                        returning\s""" + Delivery.COLUMNS)
                .bind("id", id)
                .bind("admin", caller.admin())
                .bind("team", caller.admin() ? "" : caller.teamId())
                .map((row, meta) -> Delivery.from(row))
                .one();
    }

    /**
     * The backlog in two numbers (seconds, 0 when none): how old the oldest pending delivery is, and how long the most
     * overdue one has waited past its due time although nobody holds it and its receiver host has a free slot (fewer
     * than {@code perHost} live leases). The first grows while a receiver is down and retries wait their turn, as they
     * should; the second only when the senders do not keep up (none running, a stalled sender, the database), never
     * because a receiver fails or is slow, since those deliveries are either scheduled later or wait for their host.
     */
    Mono<Backlog> backlog(int perHost) {
        return db.sql("""
                        with busy as (
                            select host, count(*) as leases from webhook_deliveries
                            where status = 'PENDING' and leased_by is not null and lease_until >= now()
                            group by host)
                        select coalesce(extract(epoch from now() - min(d.created_at)), 0)::float8 as pending_age,
                               coalesce(extract(epoch from now() - min(d.next_attempt_at) filter (
                                   where d.next_attempt_at <= now()
                                     and (d.lease_until is null or d.lease_until < now())
                                     and coalesce(b.leases, 0) < :perHost)), 0)::float8 as overdue
                        from webhook_deliveries d left join busy b on b.host = d.host
                        where d.status = 'PENDING'""")
                .bind("perHost", perHost)
                .map((row, meta) -> new Backlog(row.get("pending_age", Double.class), row.get("overdue", Double.class)))
                .one();
    }

    record Backlog(double oldestPendingAgeSeconds, double oldestOverdueSeconds) {
    }
}
