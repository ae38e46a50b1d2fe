package com.acme.imageedit.webhooks;

import java.time.Instant;

import io.r2dbc.spi.Readable;

/** One row of the delivery log, {@code webhook_attempts}. */
record Attempt(String deliveryId, int attempt, String worker, Instant startedAt, Integer statusCode, int latencyMs,
               String error) {

    static Attempt from(Readable row) {
        return new Attempt(
                row.get("delivery_id", String.class),
                row.get("attempt", Integer.class),
                row.get("worker", String.class),
                row.get("started_at", Instant.class),
                row.get("status_code", Integer.class),
                row.get("latency_ms", Integer.class),
                row.get("error", String.class));
    }
}
