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
 */
@Component
class JobGauges {

    static final String IN_FLIGHT = "imageedit.jobs.inflight";
    static final String OLDEST_QUEUED_AGE = "imageedit.jobs.queue.oldest.age";
    static final Duration REFRESH = Duration.ofSeconds(10);

    private static final List<JobStatus> OPEN = List.of(JobStatus.QUEUED, JobStatus.SUBMITTING, JobStatus.RUNNING);
    private static final Logger log = LoggerFactory.getLogger(JobGauges.class);

    private final DatabaseClient db;
    private final AtomicBoolean refreshing = new AtomicBoolean();
    /** NaN until the first query answers: "unknown" is not "empty". */
    private volatile Snapshot snapshot = new Snapshot(Map.of(), Double.NaN, Long.MIN_VALUE);

    JobGauges(DatabaseClient db, MeterRegistry registry) {
        this.db = db;
        for (JobStatus status : OPEN) {
            Gauge.builder(IN_FLIGHT, this, g -> g.count(status))
                    .description("Jobs not yet terminal, by internal status (database-wide, refreshed at most every 10 s)")
                    .tag("status", status.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        Gauge.builder(OLDEST_QUEUED_AGE, this, JobGauges::oldestQueuedAgeSeconds)
                .description("Age of the oldest job waiting to be submitted (queued or submitting); 0 when none")
                .baseUnit("seconds")
                .register(registry);
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

    private double oldestQueuedAgeSeconds() {
        refreshIfStale();
        Snapshot s = snapshot;
        if (!s.isKnown() || Double.isNaN(s.oldestQueuedAgeSeconds())) {
            return s.isKnown() ? 0 : Double.NaN;
        }
        // The job was that old when the database answered and has aged since (unless it left the queue meanwhile).
        return s.oldestQueuedAgeSeconds() + (System.nanoTime() - s.readAtNanos()) / 1e9;
    }

    private void refreshIfStale() {
        Snapshot s = snapshot;
        if (s.isKnown() && System.nanoTime() - s.readAtNanos() < REFRESH.toNanos()) {
            return;
        }
        if (!refreshing.compareAndSet(false, true)) {
            return;
        }
        // Ages are computed by the database against its own clock, so replica clock skew does not matter.
        db.sql("""
                        select status, count(*) as n,
                               extract(epoch from now() - min(created_at))::float8 as oldest_age
                        from jobs where status in ('QUEUED', 'SUBMITTING', 'RUNNING')
                        group by status""")
                .map((row, meta) -> new Row(JobStatus.valueOf(row.get("status", String.class)),
                        row.get("n", Long.class), row.get("oldest_age", Double.class)))
                .all()
                .collectList()
                .timeout(REFRESH)
                .doFinally(signal -> refreshing.set(false))
                .subscribe(rows -> snapshot = Snapshot.of(rows, System.nanoTime()),
                        e -> log.debug("Job gauges not refreshed: {}", e.toString()));
    }

    private record Row(JobStatus status, long count, Double oldestAgeSeconds) {
    }

    private record Snapshot(Map<JobStatus, Long> counts, double oldestQueuedAgeSeconds, long readAtNanos) {

        static Snapshot of(List<Row> rows, long readAtNanos) {
            Map<JobStatus, Long> counts = new EnumMap<>(JobStatus.class);
            double oldest = Double.NaN;
            for (Row row : rows) {
                counts.put(row.status(), row.count());
                boolean waiting = row.status() == JobStatus.QUEUED || row.status() == JobStatus.SUBMITTING;
                if (waiting && row.oldestAgeSeconds() != null
                        && (Double.isNaN(oldest) || row.oldestAgeSeconds() > oldest)) {
                    oldest = row.oldestAgeSeconds();
                }
            }
            return new Snapshot(counts, oldest, readAtNanos);
        }

        boolean isKnown() {
            return readAtNanos != Long.MIN_VALUE;
        }
    }
}
