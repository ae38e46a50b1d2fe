package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.time.Instant;

import io.r2dbc.spi.Readable;

/**
 * Published after a job reached a terminal state (the transaction has committed), once per job: meters, spend and
 * notifications hang off it without the state machine knowing them.
 */
public record JobFinished(
        String id,
        String teamId,
        String model,
        JobStatus status,
        String errorCode,
        BigDecimal priceUsd,
        BigDecimal chargedUsd,
        Instant createdAt,
        Instant submittedAt,
        Instant finishedAt) {

    static final String COLUMNS = """
            id, team_id, model, status, error_code, price_usd, charged_usd, created_at, submitted_at, finished_at""";

    static JobFinished from(Readable row) {
        return new JobFinished(
                row.get("id", String.class),
                row.get("team_id", String.class),
                row.get("model", String.class),
                JobStatus.valueOf(row.get("status", String.class)),
                row.get("error_code", String.class),
                row.get("price_usd", BigDecimal.class),
                row.get("charged_usd", BigDecimal.class),
                row.get("created_at", Instant.class),
                row.get("submitted_at", Instant.class),
                row.get("finished_at", Instant.class));
    }
}
