package com.acme.imageedit.jobs;

import java.util.List;

/**
 * One page of {@code GET /v1/jobs}, newest first. {@code next_cursor} (null on the last page) goes into the next
 * request's {@code after}; it is opaque.
 */
record JobPage(String object, List<JobView> data, boolean hasMore, String nextCursor) {
}
