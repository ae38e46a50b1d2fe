package com.acme.imageedit.upstream;

import java.time.Instant;
import java.util.List;

/**
 * TheRouter's job object, parsed leniently: unknown fields are ignored, both timestamp forms are accepted, and a status
 * we do not know is kept as-is and treated as non-terminal.
 *
 * @param resultUrls  candidate URLs of the result image, best first ({@code unsigned_urls[]}, then {@code result.data[].url})
 * @param resultBase64 an inline result ({@code result.data[0].b64_json}) when the upstream sent one, else {@code null}
 * @param error       the job's error when it failed, else {@code null}
 */
public record UpstreamJob(
        String id,
        String status,
        String model,
        Instant createdAt,
        Instant expiresAt,
        List<String> resultUrls,
        String resultBase64,
        UpstreamError error) {

    public boolean isSucceeded() {
        return "succeeded".equals(status);
    }

    public boolean isFailed() {
        return "failed".equals(status);
    }

    public boolean isCancelled() {
        return "cancelled".equals(status);
    }

    public boolean isExpired() {
        return "expired".equals(status);
    }

    /** Unknown statuses are non-terminal on purpose: we keep polling until the deadline rather than guess. */
    public boolean isTerminal() {
        return isSucceeded() || isFailed() || isCancelled() || isExpired();
    }
}
