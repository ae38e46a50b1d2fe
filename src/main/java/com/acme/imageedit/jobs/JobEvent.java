package com.acme.imageedit.jobs;

import java.time.Instant;

/**
 * What an event stream sends as {@code data} (and what a webhook delivers): an envelope naming the transition, when it
 * happened, and the job object as read when the event was sent (a stream opened late sends the earlier transitions
 * with the current job).
 *
 * @param type {@code job.queued}, {@code job.in_progress}, {@code job.succeeded}, {@code job.failed},
 *             {@code job.cancelled} or {@code job.expired}
 */
record JobEvent(String type, Instant timestamp, JobView data) {
}
