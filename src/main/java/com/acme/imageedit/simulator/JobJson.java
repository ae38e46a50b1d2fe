package com.acme.imageedit.simulator;

import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** Renders a job the way TheRouter does, including its habit of switching timestamp formats between responses. */
final class JobJson {

    // upstream result URLs are pre-signed for 7 days, and so is the job record
    private static final Duration RETENTION = Duration.ofDays(7);

    private JobJson() {
    }

    /** {@code resultUrl}: where the result is to be fetched from once the job succeeded. */
    static Map<String, Object> render(SimJob job, Instant now, URI base, String resultUrl, boolean isoTimestamps) {
        String status = job.statusAt(now);
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", job.id());
        json.put("object", "image_job");
        json.put("status", status);
        json.put("model", job.model());
        json.put("created_at", timestamp(job.createdAt(), isoTimestamps));
        json.put("polling_url", base + "/v1/jobs/" + job.id());
        json.put("expires_at", timestamp(job.createdAt().plus(RETENTION), isoTimestamps));
        if ("succeeded".equals(status)) {
            json.put("unsigned_urls", List.of(resultUrl));
            json.put("result", Map.of("data", List.of(Map.of("url", resultUrl))));
        } else if ("failed".equals(status)) {
            Map<String, Object> error = new LinkedHashMap<>();
            error.put("code", "upstream_failed");
            error.put("type", "upstream_error");
            error.put("message", "the provider failed to generate the image");
            json.put("error", error);
        }
        return json;
    }

    static String fileUrl(URI base, String id) {
        return base + "/files/" + id + ".png";
    }

    private static Object timestamp(Instant instant, boolean iso) {
        return iso ? instant.truncatedTo(ChronoUnit.MILLIS).toString() : instant.getEpochSecond();
    }
}
