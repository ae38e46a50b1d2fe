package com.acme.imageedit.dispatch;

import java.time.Instant;
import java.time.OffsetDateTime;

import io.r2dbc.spi.Readable;

/** A job a worker holds a lease on, with the version its next transition must be guarded by. */
record ClaimedJob(
        String id,
        long version,
        String model,
        String prompt,
        String size,
        Long seed,
        Double cfg,
        Integer numInferenceSteps,
        String upstreamId,
        int submitAttempts,
        int pollCount,
        Instant submittedAt,
        Instant previousPollAt,
        boolean generation) {

    static final String COLUMNS = """
            id, version, model, prompt, size, seed, cfg, num_inference_steps, upstream_id, submit_attempts, \
            poll_count, submitted_at, operation""";

    static ClaimedJob from(Readable row) {
        return from(row, null);
    }

    /** A poll claim also carries when the job was last polled before this claim. */
    static ClaimedJob fromPoll(Readable row) {
        return from(row, row.get("previous_poll_at", OffsetDateTime.class));
    }

    private static ClaimedJob from(Readable row, OffsetDateTime previousPollAt) {
        OffsetDateTime submittedAt = row.get("submitted_at", OffsetDateTime.class);
        return new ClaimedJob(
                row.get("id", String.class),
                row.get("version", Long.class),
                row.get("model", String.class),
                row.get("prompt", String.class),
                row.get("size", String.class),
                row.get("seed", Long.class),
                row.get("cfg", Double.class),
                row.get("num_inference_steps", Integer.class),
                row.get("upstream_id", String.class),
                row.get("submit_attempts", Integer.class),
                row.get("poll_count", Integer.class),
                submittedAt == null ? null : submittedAt.toInstant(),
                previousPollAt == null ? null : previousPollAt.toInstant(),
                "GENERATE".equals(row.get("operation", String.class)));
    }
}
