package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;
import reactor.core.scheduler.Schedulers;

/**
 * The poll plan in force on this replica. The plan is derived from the run-time samples in PostgreSQL (every replica
 * derives the same one from the same rows), and a job's next poll is stored in its row, so a restart loses nothing.
 */
@Component
class PollSchedule {

    private static final Logger log = LoggerFactory.getLogger(PollSchedule.class);

    private final DatabaseClient db;
    private final PollingProperties polling;
    private final PollPlan fixed;
    private final PollPlanner.Settings settings;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    private volatile PollPlan plan;
    private volatile Instant refreshedAt = Instant.MIN;

    PollSchedule(DatabaseClient db, PollingProperties polling, DispatchProperties dispatch) {
        this.db = db;
        this.polling = polling;
        this.fixed = PollPlan.fixed(dispatch.firstPollDelay().toMillis(), dispatch.pollInterval().toMillis());
        this.plan = fixed;
        this.settings = new PollPlanner.Settings(polling.minFirstPoll().toMillis(), polling.minInterval().toMillis(),
                polling.maxInterval().toMillis(), polling.targetMedianLag().toMillis(),
                polling.targetP90Lag().toMillis(), polling.safety(), polling.quantileMargin(),
                dispatch.pollInterval().toMillis());
    }

    PollPlan plan() {
        if (polling.mode() == PollingProperties.Mode.ADAPTIVE
                && Instant.now().isAfter(refreshedAt.plus(polling.refresh()))) {
            refreshInBackground();
        }
        return plan;
    }

    /** Wait from now until a job submitted at {@code submittedAt} is next polled. */
    Duration nextDelay(Instant submittedAt, Instant now) {
        long age = Math.max(0, Duration.between(submittedAt, now).toMillis());
        return Duration.ofMillis(plan().nextOffset(age) - age);
    }

    /** Records when a finished job finished upstream, as known: after {@code low}, by {@code high} (ms after submit). */
    Mono<Void> recordRunTime(String jobId, long lowMillis, long highMillis) {
        return db.sql("""
                        insert into upstream_run_samples (job_id, low_ms, high_ms) values (:id, :low, :high)
                        on conflict (job_id) do nothing""")
                .bind("id", jobId)
                .bind("low", Math.max(0, Math.min(lowMillis, highMillis)))
                .bind("high", Math.max(0, highMillis))
                .then()
                .onErrorResume(e -> {
                    log.debug("Could not record the run time of job {}: {}", jobId, e.toString());
                    return Mono.empty();
                });
    }

    /** Recomputes the plan now; answers it. Also what the background refresh runs. */
    Mono<PollPlan> refresh() {
        return db.sql("select job_id, low_ms, high_ms from upstream_run_samples order by observed_at desc limit :n")
                .bind("n", polling.window())
                .map((row, meta) -> imputed(row.get("job_id", String.class), row.get("low_ms", Long.class),
                        row.get("high_ms", Long.class)))
                .all()
                .collectList()
                .publishOn(Schedulers.parallel())
                .map(this::planFrom)
                .doOnNext(next -> {
                    if (!next.equals(plan)) {
                        log.info("Poll plan now {}", next);
                    }
                    plan = next;
                    refreshedAt = Instant.now();
                });
    }

    private PollPlan planFrom(List<Double> samples) {
        if (polling.mode() != PollingProperties.Mode.ADAPTIVE || samples.size() < polling.minSamples()) {
            return fixed;
        }
        double[] values = samples.stream().mapToDouble(Double::doubleValue).toArray();
        return PollPlanner.plan(values, settings).plan();
    }

    private void refreshInBackground() {
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        refresh().doFinally(s -> refreshing.set(false)).subscribe(null, e -> {
            // keep the last plan; try again after the refresh period rather than on every poll
            refreshedAt = Instant.now();
            log.warn("Could not refresh the poll plan: {}", e.toString());
        });
    }

    /**
     * A completion is only known to lie between two polls; a point inside, uniform and fixed by the job id (so every
     * replica imputes the same), keeps the learned distribution unbiased where the density is smooth.
     */
    private static double imputed(String jobId, long low, long high) {
        int h = jobId.hashCode() * 0x9E3779B1;
        h ^= h >>> 15;
        double u = (h & 0x7fffffff) / (double) Integer.MAX_VALUE;
        return low + u * (high - low);
    }
}
