package com.acme.imageedit.jobs;

import java.time.Instant;
import java.util.List;
import java.util.Map;

/**
 * One page request of {@code GET /v1/jobs}: jobs strictly older than the cursor ({@code afterCreatedAt},
 * {@code afterId}; both null for the first page), newest first, filtered.
 *
 * @param statuses internal status names, any of which matches; empty = all
 */
record JobQuery(Instant afterCreatedAt, String afterId, List<String> statuses, Instant createdAfter,
                Instant createdBefore, Map<String, String> metadata, int limit) {
}
