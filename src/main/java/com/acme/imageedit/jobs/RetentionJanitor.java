package com.acme.imageedit.jobs;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.EnumMap;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ThreadLocalRandom;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes what the jobs' retention says is due ({@link RetentionProperties}, {@link Retentions}): inputs and results
 * whose {@code job_images.purge_at} has passed, then job rows whose {@code jobs.purge_at} has (their webhook deliveries,
 * idempotency keys and reservations go with them by cascade; the spend ledger stays). The times are set at acceptance
 * and when the result is stored, and by the V9 trigger {@code plan_purge()} when a job ends.
 * <p>
 * Every replica runs it: each batch is one statement that locks its rows with {@code FOR UPDATE SKIP LOCKED}, so
 * replicas share the work without waiting on each other or deleting anything twice, and a batch holds its locks only
 * for its own statement. A round is bounded ({@code max-batches} per kind), and an idle round is one query that probes
 * the two partial indexes on the due times.
 */
@Component
class RetentionJanitor implements SmartLifecycle {

    static final String PURGED = "imageedit.retention.purged";
    static final String PURGED_BYTES = "imageedit.retention.purged.bytes";
    static final String STORED = "imageedit.images.stored";
    static final String STORED_BYTES = "imageedit.images.stored.bytes";

    private static final Logger log = LoggerFactory.getLogger(RetentionJanitor.class);

    private final DatabaseClient db;
    private final RetentionProperties properties;
    private final Clock clock;
    private final Map<ImageRole, Counter> purgedImages = new EnumMap<>(ImageRole.class);
    private final Map<ImageRole, Counter> purgedBytes = new EnumMap<>(ImageRole.class);
    private final Counter purgedJobs;
    /** Null until the first read answered: "unknown" is not "none". */
    private volatile Map<ImageRole, Stored> stored;
    private volatile Disposable running;

    RetentionJanitor(DatabaseClient db, RetentionProperties properties, Clock clock, MeterRegistry registry) {
        this.db = db;
        this.properties = properties;
        this.clock = clock;
        for (ImageRole role : ImageRole.values()) {
            String kind = role.name().toLowerCase(Locale.ROOT);
            purgedImages.put(role, Counter.builder(PURGED).tag("kind", kind)
                    .description("Images and job rows deleted by retention").register(registry));
            purgedBytes.put(role, Counter.builder(PURGED_BYTES).tag("kind", kind).baseUnit("bytes")
                    .description("Image bytes deleted by retention").register(registry));
            Gauge.builder(STORED, this, j -> j.stored(role).images()).tag("role", kind)
                    .description("Images stored in PostgreSQL (database-wide; aggregate with max())")
                    .register(registry);
            Gauge.builder(STORED_BYTES, this, j -> j.stored(role).bytes()).tag("role", kind).baseUnit("bytes")
                    .description("Bytes of images stored in PostgreSQL (database-wide; aggregate with max())")
                    .register(registry);
        }
        purgedJobs = Counter.builder(PURGED).tag("kind", "job")
                .description("Images and job rows deleted by retention").register(registry);
    }

    /** One round at {@code now}: everything due then, in bounded batches. */
    Mono<Purged> purge(Instant now) {
        return db.sql("""
                        select exists (select 1 from job_images where purge_at <= :now) as images,
                               exists (select 1 from jobs where purge_at <= :now) as jobs""")
                .bind("now", now)
                .map((row, meta) -> new boolean[] {row.get("images", Boolean.class), row.get("jobs", Boolean.class)})
                .one()
                .flatMap(due -> (due[0] ? purgeImages(now, 0, Purged.NONE) : Mono.just(Purged.NONE))
                        .flatMap(images -> due[1] ? purgeJobs(now, 0, images) : Mono.just(images)));
    }

    private Mono<Purged> purgeImages(Instant now, int batch, Purged sofar) {
        return db.sql("""
                        with due as (
                            select job_id, role from job_images where purge_at <= :now
                            order by purge_at limit :batch for update skip locked)
                        delete from job_images i using due
                        where i.job_id = due.job_id and i.role = due.role
                        returning i.role, i.size_bytes""")
                .bind("now", now)
                .bind("batch", properties.batchSize())
                .map((row, meta) -> new Deleted(ImageRole.valueOf(row.get("role", String.class)),
                        row.get("size_bytes", Integer.class)))
                .all()
                .collectList()
                .flatMap(deleted -> {
                    Purged total = sofar;
                    for (Deleted image : deleted) {
                        purgedImages.get(image.role()).increment();
                        purgedBytes.get(image.role()).increment(image.bytes());
                        total = total.plus(image);
                    }
                    boolean more = deleted.size() == properties.batchSize() && batch + 1 < properties.maxBatches();
                    return more ? purgeImages(now, batch + 1, total) : Mono.just(total);
                });
    }

    private Mono<Purged> purgeJobs(Instant now, int batch, Purged sofar) {
        return db.sql("""
                        with due as (
                            select id from jobs where purge_at <= :now
                            order by purge_at limit :batch for update skip locked)
                        delete from jobs j using due where j.id = due.id""")
                .bind("now", now)
                .bind("batch", properties.batchSize())
                .fetch().rowsUpdated()
                .flatMap(deleted -> {
                    purgedJobs.increment(deleted);
                    Purged total = sofar.plusJobs(deleted);
                    boolean more = deleted == properties.batchSize() && batch + 1 < properties.maxBatches();
                    return more ? purgeJobs(now, batch + 1, total) : Mono.just(total);
                });
    }

    /** Reads what is stored now, for the gauges: one scan of job_images' heap (the image bytes are not read). */
    Mono<Void> refreshStored() {
        return db.sql("select role, count(*) as images, coalesce(sum(size_bytes), 0) as bytes from job_images "
                        + "group by role")
                .map((row, meta) -> Map.entry(ImageRole.valueOf(row.get("role", String.class)),
                        new Stored(row.get("images", Long.class), row.get("bytes", Long.class))))
                .all()
                .collectMap(Map.Entry::getKey, Map.Entry::getValue)
                .doOnNext(snapshot -> stored = snapshot)
                .then();
    }

    private Stored stored(ImageRole role) {
        Map<ImageRole, Stored> current = stored;
        if (current == null) {
            return Stored.UNKNOWN;
        }
        return current.getOrDefault(role, Stored.NONE);
    }

    @Override
    public void start() {
        // Replicas started together do not all look at the same moment.
        Duration first = Duration.ofMillis(ThreadLocalRandom.current().nextLong(properties.purgeInterval().toMillis()));
        Flux<Void> purging = Flux.interval(first, properties.purgeInterval())
                .concatMap(tick -> purge(clock.instant())
                        .doOnNext(purged -> {
                            if (!purged.isEmpty()) {
                                log.info("Retention: deleted {} inputs, {} results ({} bytes) and {} job rows",
                                        purged.inputs(), purged.results(), purged.bytes(), purged.jobs());
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("Retention round failed; trying again in {}", properties.purgeInterval(), e);
                            return Mono.empty();
                        })
                        .then());
        Flux<Void> measuring = Flux.interval(Duration.ZERO, properties.storageRefresh())
                .concatMap(tick -> refreshStored().onErrorResume(e -> {
                    log.debug("Reading stored image sizes failed; trying again later", e);
                    return Mono.empty();
                }));
        running = Flux.merge(purging, measuring).subscribe();
    }

    @Override
    public void stop() {
        Disposable current = running;
        if (current != null) {
            current.dispose();
        }
        running = null;
    }

    @Override
    public boolean isRunning() {
        return running != null;
    }

    private record Deleted(ImageRole role, long bytes) {
    }

    private record Stored(double images, double bytes) {
        static final Stored UNKNOWN = new Stored(Double.NaN, Double.NaN);
        static final Stored NONE = new Stored(0, 0);
    }

    /** What one round deleted. */
    record Purged(long inputs, long results, long bytes, long jobs) {

        static final Purged NONE = new Purged(0, 0, 0, 0);

        boolean isEmpty() {
            return inputs == 0 && results == 0 && jobs == 0;
        }

        Purged plus(Deleted image) {
            return image.role() == ImageRole.INPUT
                    ? new Purged(inputs + 1, results, bytes + image.bytes(), jobs)
                    : new Purged(inputs, results + 1, bytes + image.bytes(), jobs);
        }

        Purged plusJobs(long deleted) {
            return new Purged(inputs, results, bytes, jobs + deleted);
        }
    }
}
