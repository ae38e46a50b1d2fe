package com.acme.imageedit.jobs;

import java.time.Duration;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;

import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.context.event.ApplicationReadyEvent;
import org.springframework.context.event.EventListener;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;

/**
 * Jobs in flight by status and the age of the oldest queued job, read from PostgreSQL because no replica knows the
 * whole queue. A scrape never waits for the database: it reads the last snapshot and, when that is older than
 * {@link #REFRESH}, starts one refresh in the background. So a replica costs at most one query per 10 s (none when
 * nobody scrapes), and every replica reports the same database-wide numbers: dashboards take max(), not sum().
 *
 * <p>The queue age is reported by the state of the job's team ({@code team_state}), because only one of them is ours
 * to fix: {@code open} (the team has room under its {@code max-in-flight}, so the job waits for us or for TheRouter),
 * {@code at_cap} (the team has its cap's worth in flight: its own backlog, fair share working) and {@code held}
 * ({@code max-in-flight} 0: nothing of it is submitted). The queue-age alert reads {@code open} only.
 */
@Component
class JobGauges {

    static final String IN_FLIGHT = "imageedit.jobs.inflight";
    static final String OLDEST_QUEUED_AGE = "imageedit.jobs.queue.oldest.age";
    static final Duration REFRESH = Duration.ofSeconds(10);

    private static final List<JobStatus> OPEN = List.of(JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.RUNNING);
    private static final Logger log = LoggerFactory.getLogger(JobGauges.class);

    /** Why a team's queued jobs wait, as far as the team's own cap tells. */
    enum TeamState {
        OPEN, AT_CAP, HELD;

        String tag() {
            return name().toLowerCase(Locale.ROOT);
        }
    }

    private final DatabaseClient db;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    /** NaN until the first query answers: "unknown" is not "empty". */
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Map.of(), Long.MIN_VALUE);

    JobGauges(DatabaseClient db, MeterRegistry registry) {
        this.db = db;
        for (JobStatus status : OPEN) {
            Gauge.builder(IN_FLIGHT, this, g -> g.count(status))
                    .description("Jobs not yet terminal, by internal status (database-wide, refreshed at most every 10 s)")
                    .tag("status", status.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        for (TeamState state : TeamState.values()) {
            Gauge.builder(OLDEST_QUEUED_AGE, this, g -> g.oldestQueuedAgeSeconds(state))
                    .description("Age of the oldest job waiting to be submitted (queued or submitting), by the state "
                            + "of its team: open, at_cap, held; 0 when none")
                    .tag("team_state", state.tag())
                    .baseUnit("seconds")
                    .register(registry);
        }
    }

    @EventListener(ApplicationReadyEvent.class)
    void warmUp() {
        refreshIfStale();
    }

    private double count(JobStatus status) {
        refreshIfStale();
        Snapshot s = snapshot;
        return s.isKnown() ? s.counts().getOrDefault(status, 0L) : Double.NaN;
    }

    private double oldestQueuedAgeSeconds(TeamState state) {
        refreshIfStale();
        Snapshot s = snapshot;
        if (!s.isKnown()) {
            return Double.NaN;
        }
        Double oldest = s.oldestWaitingAgeSeconds().get(state);
        // The job was that old when the database answered and has aged since (unless it left the queue meanwhile).
        return oldest == null ? 0 : oldest + (System.nanoTime() - s.readAtNanos()) / 1e9;
    }

    private void refreshIfStale() {
        Snapshot s = snapshot;
        if (s.isKnown() && System.nanoTime() - s.readAtNanos() < REFRESH.toNanos()) {
            return;
        }
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        // Ages are computed by the database against its own clock, so replica clock skew does not matter. A team's
        // in-flight count is what the dispatcher's claim compares with its cap: submitting and running jobs.
        db.sql("""
                        select j.team_id, j.status, count(*) as n,
                               extract(epoch from now() - min(j.created_at))::float8 as oldest_age,
                               t.max_in_flight,
                               coalesce(sum(count(*)) filter (where j.status in ('SUBMITTING', 'RUNNING'))
                                   over (partition by j.team_id), 0)::bigint as team_in_flight
                        from jobs j left join teams t on t.id = j.team_id
                        where j.status in ('QUEUED', 'SUBMITTING', 'RUNNING')
                        group by j.team_id, j.status, t.max_in_flight""")
                .map((row, meta) -> new Row(JobStatus.valueOf(row.get("status", String.class)),
                        row.get("n", Long.class), row.get("oldest_age", Double.class),
                        teamState(row.get("max_in_flight", Integer.class), row.get("team_in_flight", Long.class))))
                .all()
                .collectList()
                .timeout(REFRESH)
                .doFinally(signal -> refreshing.set(false))
                .subscribe(rows -> snapshot = Snapshot.of(rows, System.nanoTime()),
                        e -> log.debug("Job gauges not refreshed: {}", e.toString()));
    }

    static TeamState teamState(Integer maxInFlight, Long inFlight) {
        if (maxInFlight == null) {
            return TeamState.OPEN;
        }
        if (maxInFlight == 0) {
            return TeamState.HELD;
        }
        return inFlight != null && inFlight >= maxInFlight ? TeamState.AT_CAP : TeamState.OPEN;
    }

    /** One team's jobs of one status, and the state of that team. */
    private record Row(JobStatus status, long count, Double oldestAgeSeconds, TeamState teamState) {
    }

    private record Snapshot(Map<JobStatus, Long> counts, Map<TeamState, Double> oldestWaitingAgeSeconds,
                            long readAtNanos) {

        static Snapshot of(List<Row> rows, long readAtNanos) {
            Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
            Map<TeamState, Double> oldest = new EnumMap<>(TeamState.class);
            for (Row row : rows) {
                counts.merge(row.status(), row.count(), Long::sum);
                boolean waiting = row.status() == JobStatus.QUEUED || row.status() == JobStatus.SUBMITTING;
                if (waiting && row.oldestAgeSeconds() != null) {
                    oldest.merge(row.teamState(), row.oldestAgeSeconds(), Math::max);
                }
            }
            return new Snapshot(counts, oldest, readAtNanos);
        }

        boolean isKnown() {
            return readAtNanos != Long.MIN_VALUE;
        }
    }
}
