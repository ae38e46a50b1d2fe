package com.acme.imageedit.jobs;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.List;
import java.util.Map;

import com.fasterxml.jackson.annotation.JsonInclude;

/**
 * The job object: TheRouter's fields ({@code id}, {@code object}, {@code status}, {@code model}, {@code created_at},
 * {@code expires_at}, {@code polling_url}, {@code unsigned_urls}, {@code error}) with the same names and types, so that
 * TheRouter clients read it unchanged, plus the proxy's own ({@code metadata}, {@code timings}, {@code cost_usd},
 * {@code links}). Timestamps TheRouter sends as unix seconds are unix seconds here too.
 */
@JsonInclude(JsonInclude.Include.NON_NULL)
record JobView(
        String id,
        String object,
        String status,
        String model,
        long createdAt,
        long expiresAt,
        String pollingUrl,
        List<String> unsignedUrls,
        ErrorView error,
        Map<String, String> metadata,
        Timings timings,
        BigDecimal costUsd,
        Links links) {

    record ErrorView(String code, String type, String message) {
    }

    /** When the job passed each stage, and how long each took, in seconds. */
    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Timings(Instant queuedAt, Instant submittedAt, Instant finishedAt, Instant deadlineAt,
                   Double queueSeconds, Double runSeconds, Double totalSeconds) {
    }

    @JsonInclude(JsonInclude.Include.NON_NULL)
    record Links(String self, String content) {
    }
}
