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
    private static final int EMS_ITERATIONS = 15;

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
                .map((row, meta) -> new Observed(row.get("job_id", String.class), row.get("low_ms", Long.class),
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

    private PollPlan planFrom(List<Observed> observed) {
        if (polling.mode() != PollingProperties.Mode.ADAPTIVE || observed.size() < polling.minSamples()) {
            return fixed;
        }
        return PollPlanner.plan(runTimes(observed, settings), settings).plan();
    }

    /**
     * Run times from what the polls saw: the density is resolved to a tenth of the median-lag target and smoothed at
     * 1.2 times it (finer detail cannot change a plan whose shortest useful gap is that target).
     */
    static double[] runTimes(List<Observed> observed, PollPlanner.Settings settings) {
        int n = observed.size();
        long[] low = new long[n];
        long[] high = new long[n];
        double[] u = new double[n];
        for (int i = 0; i < n; i++) {
            Observed o = observed.get(i);
            low[i] = o.low();
            high[i] = o.high();
            u[i] = quantileOf(o.jobId());
        }
        double target = settings.targetMedianLag();
        return RunTimeEstimate.impute(low, high, u, target / 10, 1.2 * target, EMS_ITERATIONS);
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

    /** Where inside its interval a completion is placed: a quantile fixed by the job id, the same on every replica. */
    static double quantileOf(String jobId) {
        int h = jobId.hashCode() * 0x9E3779B1;
        h ^= h >>> 15;
        return (h & 0x7fffffff) / (double) Integer.MAX_VALUE;
    }

    /** A finished job's run time as the polls saw it: after {@code low}, by {@code high} (ms after submit). */
    record Observed(String jobId, long low, long high) {
    }
}
