package com.acme.imageedit.dispatch;

import java.time.Duration;
import java.time.Instant;

import org.springframework.r2dbc.core.DatabaseClient;
import org.springframework.stereotype.Component;
import reactor.core.publisher.Mono;

/**
 * The shared token bucket and pause rows. One statement takes up to {@code want} tokens, refilling the bucket by the
 * database clock since its last draw; the row lock serialises replicas, so their sum never exceeds the rate. While the
 * shared pause lasts nothing is granted.
 */
@Component
class UpstreamBudget {

    static final String ACCOUNT = "account";

    private final DatabaseClient db;
    private final BudgetProperties properties;

    UpstreamBudget(DatabaseClient db, BudgetProperties properties) {
        this.db = db;
        this.properties = properties;
    }

    /** What one draw got: tokens, and how long to wait before asking again when it got fewer than it wanted. */
    record Grant(int granted, Duration retryIn, Instant pausedUntil) {
    }

    Mono<Grant> take(int want) {
        return db.sql("""
                        with clock as materialized (select clock_timestamp() as at),
                        pause as materialized (select paused_until from upstream_pause where name = :name),
                        locked as (select b.name, b.tokens, b.refilled_at,
                                          -- a draw that waited for the row lock must not move the clock backwards,
                                          -- or the next draw would be credited the same time twice
                                          greatest(clock.at, b.refilled_at) as at
                                   from upstream_budget b, clock where b.name = :name for update of b),
                        cur as (select name, at,
                                       least(:capacity, tokens + extract(epoch from (at - refilled_at))::double precision
                                             * :rate) as avail
                                from locked),
                        decided as (select cur.*, case when (select paused_until from pause) > cur.at then 0
                                                       else least(:want, floor(cur.avail))::int end as n
                                    from cur),
                        upd as (update upstream_budget b set tokens = d.avail - d.n, refilled_at = d.at
                                from decided d where b.name = d.name
                                returning d.n as granted, b.tokens as left_tokens, d.at as at)
                        select granted, left_tokens,
                               greatest(0, extract(epoch from ((select paused_until from pause) - at)) * 1000)::bigint
                                   as pause_ms
                        from upd""")
                .bind("name", ACCOUNT)
                .bind("capacity", (double) properties.burst())
                .bind("rate", properties.requestsPerSecond())
                .bind("want", want)
                .map((row, meta) -> {
                    int granted = row.get("granted", Integer.class);
                    double left = row.get("left_tokens", Double.class);
                    long pauseMs = row.get("pause_ms", Long.class);
                    Instant pausedUntil = pauseMs > 0 ? Instant.now().plusMillis(pauseMs) : null;
                    Duration retryIn;
                    if (pauseMs > 0) {
                        retryIn = Duration.ofMillis(pauseMs);
                    } else if (granted >= want) {
                        retryIn = Duration.ZERO;
                    } else {
                        // time until the next whole token; at least 1 ms so that a waiting loop never spins
                        long ms = (long) Math.ceil(Math.max(0, 1.0 - left) / properties.requestsPerSecond() * 1000);
                        retryIn = Duration.ofMillis(Math.max(1, ms));
                    }
                    return new Grant(granted, retryIn, pausedUntil);
                })
                .one();
    }

    /** Pauses every replica for {@code pause} (never shortening a longer pause already set); answers its end. */
    Mono<Instant> pause(Duration pause, String reason) {
        return db.sql("""
                        update upstream_pause
                        set paused_until = greatest(paused_until, clock_timestamp() + :ms * interval '1 millisecond'),
                            reason = :reason
                        where name = :name
                        returning (extract(epoch from (paused_until - clock_timestamp())) * 1000)::double precision as left_ms""")
                .bind("ms", pause.toMillis())
                .bind("reason", reason)
                .bind("name", ACCOUNT)
                .map((row, meta) -> Instant.now().plusMillis(Math.max(0, row.get("left_ms", Double.class).longValue())))
                .one();
    }
}
