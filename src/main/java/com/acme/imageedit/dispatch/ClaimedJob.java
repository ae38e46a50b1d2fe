package com.acme.imageedit.dispatch;

import java.time.Instant;
import java.time.OffsetDateTime;

import io.r2dbc.spi.Readable;

/**
 * A job a worker holds a lease on, with the version its next transition must be guarded by. A poll claim also carries
 * how late it came after the poll was due (by the database's clock) and when it arrived ({@link System#nanoTime()}), so
 * that the poller can tell how late the poll goes out, and how many times a result TheRouter reported was tried in vain
 * (since when).
 */
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
        boolean generation,
        long lateAtClaimMillis,
        long claimedNanos,
        Long previousLateMillis,
        int resultAttempts,
        Instant resultFailingSince) {

    static final String COLUMNS = """
            id, version, model, prompt, size, seed, cfg, num_inference_steps, upstream_id, submit_attempts, \
            poll_count, submitted_at, operation, result_attempts, result_failing_since""";

    static ClaimedJob from(Readable row) {
        return from(row, null, 0, null);
    }

    /** A poll claim also carries when the job was last polled before this claim, and how late the claim came. */
    static ClaimedJob fromPoll(Readable row) {
        Long late = row.get("late_ms", Long.class);
        return from(row, row.get("previous_poll_at", OffsetDateTime.class), late == null ? 0 : Math.max(0, late),
                row.get("previous_late_ms", Long.class));
    }

    /** How late, after its due time, this poll is if it goes out now. */
    long lateMillisNow() {
        return lateAtClaimMillis + (System.nanoTime() - claimedNanos) / 1_000_000;
    }

    private static ClaimedJob from(Readable row, OffsetDateTime previousPollAt, long lateAtClaimMillis,
                                   Long previousLateMillis) {
        OffsetDateTime submittedAt = row.get("submitted_at", OffsetDateTime.class);
        OffsetDateTime resultFailingSince = row.get("result_failing_since", OffsetDateTime.class);
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
                "GENERATE".equals(row.get("operation", String.class)),
                lateAtClaimMillis,
                System.nanoTime(),
                previousLateMillis,
                row.get("result_attempts", Integer.class),
                resultFailingSince == null ? null : resultFailingSince.toInstant());
    }
}
