package com.acme.imageedit.jobs;

import java.time.Instant;

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

    JobRepository(DatabaseClient db, TransactionalOperator tx, Budgets budgets) {
        this.db = db;
        this.tx = tx;
        this.budgets = budgets;
    }

    /**
     * Reserves the price against the team's budget and inserts the job and its input image, in one transaction: a job
     * never exists without its input or its reservation, and a refused reservation stores nothing.
     */
    Mono<Job> insert(String id, String teamId, EditRequest request, Instant deadline) {
        Mono<Job> job = db.sql("""
                        insert into jobs (id, team_id, model, prompt, size, seed, cfg, num_inference_steps, price_usd,
                                          status, deadline_at, callback_url)
                        values (:id, :team, :model, :prompt, :size, :seed, :cfg, :steps, :price, 'QUEUED', :deadline,
                                :callback)
                        returning\s""" + Job.COLUMNS)
                .bind("id", id)
                .bind("team", teamId)
                .bind("model", request.model().id())
                .bind("prompt", request.prompt())
                .bind("size", Parameter.fromOrEmpty(request.size(), String.class))
                .bind("seed", Parameter.fromOrEmpty(request.seed(), Long.class))
                .bind("cfg", Parameter.fromOrEmpty(request.cfg(), Double.class))
                .bind("steps", Parameter.fromOrEmpty(request.numInferenceSteps(), Integer.class))
                .bind("price", request.model().priceUsd())
                .bind("deadline", deadline)
                .bind("callback", Parameter.fromOrEmpty(request.callbackUrl(), String.class))
                .map((row, meta) -> Job.from(row))
                .one();
        Mono<Long> image = db.sql("""
                        insert into job_images (job_id, role, content_type, width, height, bytes)
                        values (:id, 'INPUT', :type, :width, :height, :bytes)""")
                .bind("id", id)
                .bind("type", request.imageInfo().contentType())
                .bind("width", request.imageInfo().width())
                .bind("height", request.imageInfo().height())
                .bind("bytes", request.image())
                .fetch().rowsUpdated();
        // The budget row is the one lock concurrent submits of a team share: taking it last keeps it held only until
        // the commit, so a team's submits do not queue behind each other's image inserts.
        return job
                .flatMap(inserted -> image.thenReturn(inserted))
                .flatMap(inserted -> budgets.reserve(teamId, request.model().priceUsd()).thenReturn(inserted))
                .as(tx::transactional);
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

    Mono<StoredImage> image(String jobId, String role) {
        return db.sql("select content_type, bytes from job_images where job_id = :id and role = :role")
                .bind("id", jobId)
                .bind("role", role)
                .map((row, meta) -> new StoredImage(row.get("content_type", String.class),
                        row.get("bytes", byte[].class)))
                .one();
    }
}
