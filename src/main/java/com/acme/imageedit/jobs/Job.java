package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Map;

import io.r2dbc.spi.Readable;

/** One row of {@code jobs}, as the API reads it. */
record Job(
        String id,
        String teamId,
        String model,
        String prompt,
        String size,
        Long seed,
        Double cfg,
        Integer numInferenceSteps,
        BigDecimal priceUsd,
        BigDecimal chargedUsd,
        JobStatus status,
        long version,
        String upstreamId,
        String errorCode,
        String errorType,
        String errorMessage,
        Instant createdAt,
        Instant deadlineAt,
        Instant submittedAt,
        Instant finishedAt,
        Instant expiresAt,
        Map<String, String> metadata,
        JobsProperties.Kind operation) {

    static final String COLUMNS = """
            id, team_id, model, prompt, size, seed, cfg, num_inference_steps, price_usd, charged_usd, status, version,
            upstream_id,
            error_code, error_type, error_message, created_at, deadline_at, submitted_at, finished_at, expires_at,
            metadata::text as metadata_json, operation""";

    static Job from(Readable row) {
        return new Job(
                row.get("id", String.class),
                row.get("team_id", String.class),
                row.get("model", String.class),
                row.get("prompt", String.class),
                row.get("size", String.class),
                row.get("seed", Long.class),
                row.get("cfg", Double.class),
                row.get("num_inference_steps", Integer.class),
                row.get("price_usd", BigDecimal.class),
                row.get("charged_usd", BigDecimal.class),
                JobStatus.valueOf(row.get("status", String.class)),
                row.get("version", Long.class),
                row.get("upstream_id", String.class),
                row.get("error_code", String.class),
                row.get("error_type", String.class),
                row.get("error_message", String.class),
                row.get("created_at", Instant.class),
                row.get("deadline_at", Instant.class),
                row.get("submitted_at", Instant.class),
                row.get("finished_at", Instant.class),
                row.get("expires_at", Instant.class),
                Metadata.fromJson(row.get("metadata_json", String.class)),
                JobsProperties.Kind.valueOf(row.get("operation", String.class)));
    }
}
