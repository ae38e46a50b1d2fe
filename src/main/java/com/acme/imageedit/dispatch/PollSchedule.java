package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.r2dbc.core.Parameter;
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
    /** How many of the newest samples tell how late polls go out (the refresh reads them newest first). */
    private static final int JITTER_WINDOW = 500;

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

    /**
     * Wait from now until a job submitted at {@code submittedAt} is next polled: the plan's next offset at least the
     * minimum interval away (a job that was polled late, or by a plan that has since moved, skips an offset that close
     * rather than poll twice in a row).
     */
    Duration nextDelay(Instant submittedAt, Instant now) {
        long age = Math.max(0, Duration.between(submittedAt, now).toMillis());
        long minimum = polling.mode() == PollingProperties.Mode.ADAPTIVE ? polling.minInterval().toMillis() : 1;
        long soonest = age + Math.max(1, minimum);
        return Duration.ofMillis(plan().nextOffset(soonest - 1) - age);
    }

    /**
     * Records when a finished job finished upstream, as known: after {@code low}, by {@code high} (ms after submit),
     * and how late the poll that saw it, and the one before it, went out after their due times ({@code delay},
     * {@code previousDelay}, ms; the latter null if not known).
     */
    Mono<Void> recordRunTime(String jobId, long lowMillis, long highMillis, long delayMillis, Long previousDelayMillis) {
        return db.sql("""
                        insert into upstream_run_samples (job_id, low_ms, high_ms, delay_ms, previous_delay_ms)
                        values (:id, :low, :high, :delay, :previous)
                        on conflict (job_id) do nothing""")
                .bind("id", jobId)
                .bind("low", Math.max(0, Math.min(lowMillis, highMillis)))
                .bind("high", Math.max(0, highMillis))
                .bind("delay", Math.max(0, delayMillis))
                .bind("previous", Parameter.fromOrEmpty(previousDelayMillis == null ? null
                        : Math.max(0, previousDelayMillis), Long.class))
                .then()
                .onErrorResume(e -> {
                    log.debug("Could not record the run time of job {}: {}", jobId, e.toString());
                    return Mono.empty();
                });
    }

    /** Recomputes the plan now; answers it. Also what the background refresh runs. */
    Mono<PollPlan> refresh() {
        return db.sql("""
                        select job_id, low_ms, high_ms, delay_ms, previous_delay_ms from upstream_run_samples
                        order by observed_at desc, job_id limit :n""")
                .bind("n", polling.window())
                .map((row, meta) -> new Observed(row.get("job_id", String.class), row.get("low_ms", Long.class),
                        row.get("high_ms", Long.class), row.get("delay_ms", Long.class),
                        row.get("previous_delay_ms", Long.class)))
                .all()
                .collectList()
                .publishOn(Schedulers.parallel())
                .map(this::planFrom)
                .doOnNext(next -> {
                    plan = next;
                    refreshedAt = Instant.now();
                });
    }

    private PollPlan planFrom(List<Observed> observed) {
        if (polling.mode() != PollingProperties.Mode.ADAPTIVE || observed.size() < polling.minSamples()) {
            return fixed;
        }
        // Timing noise follows this replica's load, which changes faster than TheRouter's run times: the newest only.
        List<Observed> recent = observed.subList(0, Math.min(observed.size(), JITTER_WINDOW));
        double[] delays = delays(recent);
        PollPlan current = plan;
        PollPlanner.Result result = PollPlanner.plan(runTimes(observed, settings), delays, previousDelays(recent),
                settings, current.equals(fixed) ? null : current);
        if (!result.plan().equals(current)) {
            double[] sorted = delays.clone();
            Arrays.sort(sorted);
            log.info("Poll plan now {} ({} samples; replayed: {} calls/job, median lag {} ms, p90 lag {} ms; polls "
                            + "lately went out {} ms late at the median, {} ms at p90)", result.plan(), observed.size(),
                    Math.round(result.callsPerJob() * 100) / 100.0, Math.round(result.medianLag()),
                    Math.round(result.p90Lag()), Math.round(PollPlanner.quantile(sorted, 0.5)),
                    Math.round(PollPlanner.quantile(sorted, 0.9)));
        }
        return result.plan();
    }

    static double[] delays(List<Observed> observed) {
        return observed.stream().mapToDouble(Observed::delay).toArray();
    }

    /** The previous poll's delay of each sample; where not known, the same as the sample's own (no gap noise). */
    static double[] previousDelays(List<Observed> observed) {
        return observed.stream()
                .mapToDouble(o -> o.previousDelay() == null ? o.delay() : o.previousDelay())
                .toArray();
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

    /**
     * A finished job's run time as the polls saw it: after {@code low}, by {@code high} (ms after submit); the poll
     * that saw it went out {@code delay} ms after it was due, the one before it {@code previousDelay} (null: unknown).
     */
    record Observed(String jobId, long low, long high, long delay, Long previousDelay) {

        Observed(String jobId, long low, long high) {
            this(jobId, low, high, 0, null);
        }
    }
}
