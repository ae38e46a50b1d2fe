package com.acme.imageedit.jobs;

import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;

import com.acme.imageedit.system.ApiException;
import com.acme.imageedit.system.Bytea;
import org.jspecify.annotations.Nullable;
import org.springframework.http.HttpStatus;
import reactor.core.publisher.Flux;

import com.acme.imageedit.teams.Budgets;
import com.acme.imageedit.teams.TeamPrincipal;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
import org.springframework.stereotype.Repository;
import org.springframework.transaction.reactive.TransactionalOperator;
import reactor.core.publisher.Mono;

/** The job API's SQL: accepting a job with its input image, and reading jobs and images back. */
@Repository
class JobRepository {

    private final DatabaseClient db;
    private final TransactionalOperator tx;
    private final Budgets budgets;
    private final JobsProperties properties;

    JobRepository(DatabaseClient db, TransactionalOperator tx, Budgets budgets, JobsProperties properties) {
        this.db = db;
        this.tx = tx;
        this.budgets = budgets;
        this.properties = properties;
    }

    /**
     * Inserts the job, its budget reservation and its input image, in one transaction: a job never exists without its
     * input or its reservation, and a refused reservation (its commit fails) stores nothing and answers 402. With an
     * {@code Idempotency-Key}, the key is claimed first in the same transaction: a concurrent duplicate waits on it and
     * then finds the winner's committed job, which it answers instead (or refuses with 422 if its request differs).
     *
     * @param render the 202 body for the new job, stored with the key to be answered again byte for byte
     */
    Mono<Accepted> insert(String id, String teamId, EditRequest request, Instant deadline, Retentions.Plan retention,
                          @Nullable Idempotency idempotency, Function<Job, byte[]> render) {
        // One statement: the job, its budget reservation (which the database applies to the team's budget rows when
        // the job's transaction commits, V7: the rows are locked only for the commit), and its input image.
        boolean withImage = request.image() != null;
        DatabaseClient.GenericExecuteSpec insert = db.sql("""
                        with job as (
                            insert into jobs (id, team_id, operation, model, prompt, size, seed, cfg,
                                              num_inference_steps, price_usd, status, deadline_at, metadata,
                                              callback_url, expires_at, input_retention, record_retention)
                            values (:id, :team, :operation, :model, :prompt, :size, :seed, :cfg, :steps, :price,
                                    'QUEUED', :deadline, cast(:metadata as jsonb), :callback,
                                    now() + :resultsMs * interval '1 millisecond',
                                    cast(:inputsMs as bigint) * interval '1 millisecond',
                                    :recordsMs * interval '1 millisecond')
                            returning\s""" + Job.COLUMNS + ", input_retention" + """
                        ), reservation as (
                            insert into budget_reservations (job_id, team_id, price_usd, reserved_at)
                            select id, team_id, price_usd, created_at from job
                        )""" + (withImage ? """
                        , image as (
                            insert into job_images (job_id, role, content_type, width, height, bytes, purge_at)
                            select id, 'INPUT', :type, :width, :height, :bytes,
                                   -- kept with the result; or planned when the job ends (V9 plan_purge())
                                   case when input_retention is null then expires_at end
                            from job
                        )""" : "") + """
                        select * from job""")
                .bind("id", id)
                .bind("team", teamId)
                .bind("operation", request.operation().name())
                .bind("model", request.model().id())
                .bind("prompt", request.prompt())
                .bind("size", Parameter.fromOrEmpty(request.size(), String.class))
                .bind("seed", Parameter.fromOrEmpty(request.seed(), Long.class))
                .bind("cfg", Parameter.fromOrEmpty(request.cfg(), Double.class))
                .bind("steps", Parameter.fromOrEmpty(request.numInferenceSteps(), Integer.class))
                .bind("price", request.model().priceUsd())
                .bind("deadline", deadline)
                .bind("metadata", Metadata.toJson(request.metadata()))
                .bind("callback", Parameter.fromOrEmpty(request.callbackUrl(), String.class))
                .bind("resultsMs", retention.results().toMillis())
                .bind("inputsMs", Parameter.fromOrEmpty(retention.inputs() == null ? null
                        : retention.inputs().toMillis(), Long.class))
                .bind("recordsMs", retention.records().toMillis());
        if (withImage) {
            insert = insert.bind("type", request.imageInfo().contentType())
                    .bind("width", request.imageInfo().width())
                    .bind("height", request.imageInfo().height())
                    .bind("bytes", new Bytea(request.image()));
        }
        Mono<Job> job = insert.map((row, meta) -> Job.from(row)).one();
        Mono<Accepted> stored;
        if (idempotency == null) {
            // Its own transaction (autocommit): one round trip, no BEGIN and COMMIT of ours; a refused reservation
            // fails the statement itself. The answer is rendered once the job is committed.
            stored = job.map(inserted -> new Accepted(inserted, render.apply(inserted), false));
        } else {
            // The key first, and the answer stored with it, in the job's transaction.
            stored = claimKey(id, teamId, idempotency)
                    .then(job)
                    .flatMap(inserted -> Mono.fromCallable(() -> render.apply(inserted))
                            .flatMap(body -> storeAnswer(teamId, idempotency, body)
                                    .thenReturn(new Accepted(inserted, body, false))))
                    .as(tx::transactional);
        }
        Mono<Accepted> transaction = stored.onErrorResume(Budgets::refusedReservation,
                refused -> budgets.refusal(teamId, request.model().priceUsd()));
        // A client that goes away must not cancel the keyed transaction half way: a cancel lands between statements
        // and the connection could go back to the pool with the transaction still open, where the next user's commit
        // committed a job without its image or reservation (bench/cancelled-accepts.sh: 1 in 60,893 under load).
        // So the work always runs to its commit or rollback (the single statement too); the caller may stop
        // listening.
        return Mono.fromFuture(() -> transaction.toFuture(), true)
                .onErrorResume(KeyTaken.class, taken -> replay(teamId, idempotency));
    }

    /** Takes the key, or fails with {@link KeyTaken} once a live holder of it has committed. */
    private Mono<Void> claimKey(String id, String teamId, Idempotency idempotency) {
        // An expired row is taken over in place; a live one (committed, or committing meanwhile) is left alone.
        return db.sql("""
                        insert into idempotency_keys (team_id, key, request_hash, job_id)
                        values (:team, :key, :hash, :id)
                        on conflict (team_id, key) do update set request_hash = excluded.request_hash,
                            job_id = excluded.job_id, response_status = null, response_body = null, created_at = now()
                        where idempotency_keys.created_at < now() - :ttl * interval '1 millisecond'
                        returning job_id""")
                .bind("team", teamId)
                .bind("key", idempotency.key())
                .bind("hash", idempotency.requestHash())
                .bind("id", id)
                .bind("ttl", properties.idempotencyKeyTtl().toMillis())
                .map((row, meta) -> row.get("job_id", String.class))
                .one()
                .switchIfEmpty(Mono.error(KeyTaken::new))
                .then();
    }

    private Mono<Void> storeAnswer(String teamId, Idempotency idempotency, byte[] body) {
        return db.sql("""
                        update idempotency_keys set response_status = 202, response_body = :body
                        where team_id = :team and key = :key""")
                .bind("body", body)
                .bind("team", teamId)
                .bind("key", idempotency.key())
                .fetch().rowsUpdated().then();
    }

    private Mono<Accepted> replay(String teamId, Idempotency idempotency) {
        return db.sql("""
                        select request_hash, job_id, response_body from idempotency_keys
                        where team_id = :team and key = :key""")
                .bind("team", teamId)
                .bind("key", idempotency.key())
                .map((row, meta) -> new StoredKey(row.get("request_hash", String.class),
                        row.get("job_id", String.class), row.get("response_body", byte[].class)))
                .one()
                .switchIfEmpty(Mono.error(() -> ApiException.conflict("idempotency_key_in_flux",
                        "this Idempotency-Key expired just now; send the request again")))
                .flatMap(stored -> {
                    if (!idempotency.requestHash().equals(stored.requestHash())) {
                        return Mono.error(new ApiException(HttpStatus.valueOf(422), "idempotency_key_reused",
                                "Idempotency-Key", "this Idempotency-Key was used with a different request in the "
                                + "last " + properties.idempotencyKeyTtl().toHours() + " h; use a new key"));
                    }
                    return db.sql("select " + Job.COLUMNS + " from jobs where id = :id and team_id = :team")
                            .bind("id", stored.jobId())
                            .bind("team", teamId)
                            .map((row, meta) -> new Accepted(Job.from(row), stored.body(), true))
                            .one();
                });
    }

    private record StoredKey(String requestHash, String jobId, byte[] body) {
    }

    /** One page of the caller's jobs (every team's for an admin), newest first; {@code limit + 1} rows tell has_more. */
    Flux<Job> list(TeamPrincipal caller, JobQuery query) {
        StringBuilder sql = new StringBuilder("select " + Job.COLUMNS + " from jobs where (:admin or team_id = :team)");
        Map<String, Object> binds = new LinkedHashMap<>();
        binds.put("admin", caller.admin());
        binds.put("team", caller.admin() ? "" : caller.teamId());
        if (query.afterCreatedAt() != null) {
            // Keyset on (created_at, id): rows inserted meanwhile are newer than any cursor, so pages never shift.
            sql.append(" and (created_at, id) < (:afterAt, :afterId)");
            binds.put("afterAt", query.afterCreatedAt());
            binds.put("afterId", query.afterId());
        }
        if (!query.statuses().isEmpty()) {
            sql.append(" and status = any(:statuses)");
            binds.put("statuses", query.statuses().toArray(new String[0]));
        }
        if (query.createdAfter() != null) {
            sql.append(" and created_at > :createdAfter");
            binds.put("createdAfter", query.createdAfter());
        }
        if (query.createdBefore() != null) {
            sql.append(" and created_at < :createdBefore");
            binds.put("createdBefore", query.createdBefore());
        }
        if (!query.metadata().isEmpty()) {
            sql.append(" and metadata @> cast(:metadata as jsonb)");
            binds.put("metadata", Metadata.toJson(query.metadata()));
        }
        sql.append(" order by created_at desc, id desc limit :limit");
        binds.put("limit", query.limit() + 1);
        DatabaseClient.GenericExecuteSpec spec = db.sql(sql.toString());
        for (Map.Entry<String, Object> bind : binds.entrySet()) {
            spec = spec.bind(bind.getKey(), bind.getValue());
        }
        return spec.map((row, meta) -> Job.from(row)).all();
    }

    /** A request's Idempotency-Key was committed by another submit: its job is the answer. */
    private static final class KeyTaken extends RuntimeException {
        KeyTaken() {
            super(null, null, false, false);
        }
    }

    /** The job, if {@code caller} may see it: another team's job does not exist for them. */
    Mono<Job> find(String id, TeamPrincipal caller) {
        return db.sql("select " + Job.COLUMNS + " from jobs where id = :id and (:admin or team_id = :team)")
                .bind("id", id)
                .bind("admin", caller.admin())
                .bind("team", caller.admin() ? "" : caller.teamId())
                .map((row, meta) -> Job.from(row))
                .one();
    }

    Mono<StoredImage> image(String jobId, ImageRole role) {
        return db.sql("select content_type, bytes from job_images where job_id = :id and role = :role")
                .bind("id", jobId)
                .bind("role", role.name())
                .map((row, meta) -> new StoredImage(row.get("content_type", String.class),
                        row.get("bytes", byte[].class)))
                .one();
    }
}
