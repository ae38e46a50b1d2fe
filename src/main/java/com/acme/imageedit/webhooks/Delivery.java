package com.acme.imageedit.webhooks;

import java.time.Instant;

import io.r2dbc.spi.Readable;

/** One row of the outbox, {@code webhook_deliveries}: one event for one target. */
record Delivery(
        String id,
        String teamId,
        String jobId,
        String eventType,
        Instant eventAt,
        String target,
        String subscriptionId,
        String url,
        String status,
        String body,
        int attempts,
        int roundAttempts,
        long version,
        Integer lastStatus,
        String lastError,
        Instant nextAttemptAt,
        Instant createdAt,
        Instant deliveredAt,
        Instant finishedAt) {

    static final String COLUMNS = """
            id, team_id, job_id, event_type, event_at, target, subscription_id, url, status, body, attempts,
            round_attempts, version, last_status, last_error, next_attempt_at, created_at, delivered_at, finished_at""";

    static Delivery from(Readable row) {
        return new Delivery(
                row.get("id", String.class),
                row.get("team_id", String.class),
                row.get("job_id", String.class),
                row.get("event_type", String.class),
                row.get("event_at", Instant.class),
                row.get("target", String.class),
                row.get("subscription_id", String.class),
                row.get("url", String.class),
                row.get("status", String.class),
                row.get("body", String.class),
                row.get("attempts", Integer.class),
                row.get("round_attempts", Integer.class),
                row.get("version", Long.class),
                row.get("last_status", Integer.class),
                row.get("last_error", String.class),
                row.get("next_attempt_at", Instant.class),
                row.get("created_at", Instant.class),
                row.get("delivered_at", Instant.class),
                row.get("finished_at", Instant.class));
    }

    boolean forSubscription() {
        return "SUBSCRIPTION".equals(target);
    }
}
