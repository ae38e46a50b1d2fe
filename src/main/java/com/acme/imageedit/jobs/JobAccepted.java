package com.acme.imageedit.jobs;

/** Published after a job is durably queued, so that this replica's dispatcher can start at once instead of waiting. */
public record JobAccepted(String jobId, String teamId, String model) {
}
