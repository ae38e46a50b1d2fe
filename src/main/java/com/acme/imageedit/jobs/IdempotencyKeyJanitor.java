package com.acme.imageedit.jobs;

import java.time.Duration;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.context.SmartLifecycle;
import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.Disposable;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

/**
 * Deletes {@code Idempotency-Key} rows past their TTL, in small batches, on every replica (SKIP LOCKED, so replicas
 * share the work instead of waiting on each other). An expired key is also taken over in place when it is reused.
 */
@Component
class IdempotencyKeyJanitor implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(IdempotencyKeyJanitor.class);
    private static final Duration INTERVAL = Duration.ofMinutes(10);
    private static final int BATCH = 1000;

    private final DatabaseClient db;
    private final JobsProperties properties;
    private volatile Disposable running;

    IdempotencyKeyJanitor(DatabaseClient db, JobsProperties properties) {
        this.db = db;
        this.properties = properties;
    }

    /** One batch; answers how many rows went. */
    Mono<Long> purgeExpired() {
        return db.sql("""
                        delete from idempotency_keys where (team_id, key) in (
                            select team_id, key from idempotency_keys
                            where created_at < now() - :ttl * interval '1 millisecond'
                            limit :batch for update skip locked)""")
                .bind("ttl", properties.idempotencyKeyTtl().toMillis())
                .bind("batch", BATCH)
                .fetch().rowsUpdated();
    }

    @Override
    public void start() {
        running = Flux.interval(INTERVAL, INTERVAL)
                .concatMap(tick -> purgeExpired()
                        .doOnNext(n -> {
                            if (n > 0) {
                                log.debug("Deleted {} expired idempotency keys", n);
                            }
                        })
                        .onErrorResume(e -> {
                            log.warn("Deleting expired idempotency keys failed; trying again later", e);
                            return Mono.empty();
                        }))
                .subscribe();
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
}
